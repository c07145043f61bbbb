package gcetest

import (
	"fmt"
	"maps"
)

// AddProject adds a project (and its instances) to the running fake.
func (s *Server) AddProject(p Project) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addProjectLocked(p)
}

func (s *Server) addProjectLocked(p Project) error {
	if p.ID == "" {
		return fmt.Errorf("gcetest: add project: empty ID")
	}
	if _, ok := s.projects[p.ID]; ok {
		return fmt.Errorf("gcetest: add project %s: already exists", p.ID)
	}
	ps := &projectState{
		id: p.ID, name: p.Name, state: p.State, parent: p.Parent, number: p.Number,
		labels:      maps.Clone(p.Labels),
		zones:       make(map[string]bool),
		instances:   make(map[string]*instanceState),
		failure:     p.Failure,
		denied:      make(map[string]bool),
		unreachable: make(map[string]bool),
	}
	if ps.name == "" {
		ps.name = p.ID
	}
	if ps.state == "" {
		ps.state = "ACTIVE"
	}
	if ps.number == 0 {
		ps.number = int64(stableID("project", p.ID) % 1e12)
	}
	ps.meta = newMetadata(p.Metadata)
	for _, z := range p.Zones {
		ps.zones[z] = true
	}
	for _, d := range p.Denied {
		ps.denied[d] = true
	}
	for _, z := range p.Unreachable {
		ps.unreachable[z] = true
		ps.zones[z] = true
	}
	s.projects[p.ID] = ps
	for _, in := range p.Instances {
		if err := s.addInstanceLocked(ps, in); err != nil {
			delete(s.projects, p.ID)
			return err
		}
	}
	return nil
}

// AddInstance adds a VM to an existing project.
func (s *Server) AddInstance(project string, in Instance) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.projects[project]
	if !ok {
		return fmt.Errorf("gcetest: add instance %s: no project %s", in.Name, project)
	}
	return s.addInstanceLocked(ps, in)
}

func (s *Server) addInstanceLocked(ps *projectState, in Instance) error {
	if in.Name == "" || in.Zone == "" {
		return fmt.Errorf("gcetest: add instance %q in zone %q of project %s: name and zone are required", in.Name, in.Zone, ps.id)
	}
	key := instanceKey(in.Zone, in.Name)
	if _, ok := ps.instances[key]; ok {
		return fmt.Errorf("gcetest: add instance %s in project %s: already exists", key, ps.id)
	}
	is := &instanceState{
		project: ps.id, zone: in.Zone, os: in.OS, agent: in.Agent,
		seenKeys: make(map[string]bool),
		winUsers: make(map[string]WindowsUser),
	}
	for i := 1; i <= 4; i++ {
		is.serial[i] = newRing(s.cfg.SerialBufferSize)
	}
	is.inst = s.buildInstance(ps, in)
	if _, err := is.json(); err != nil { // warm the cache: lists then cost no marshalling
		return fmt.Errorf("gcetest: add instance %s: %w", key, err)
	}
	ps.instances[key] = is
	ps.zones[in.Zone] = true
	ps.order = nil
	if is.inst.Status == "RUNNING" {
		is.serial[1].write([]byte(bootLog(is)))
	}
	return nil
}

// SetProjectFailure changes how Compute calls on project fail.
func (s *Server) SetProjectFailure(project string, f Failure) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.projects[project]
	if !ok {
		return fmt.Errorf("gcetest: set failure: no project %s", project)
	}
	ps.failure = f
	return nil
}

// SetAgent changes how the emulated Windows agent of a VM answers.
func (s *Server) SetAgent(project, zone, name string, m AgentMode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, err := s.instanceLocked(project, zone, name)
	if err != nil {
		return err
	}
	is.agent = m
	return nil
}

// InstanceStatus returns a VM's current status (RUNNING, STOPPING, …).
func (s *Server) InstanceStatus(project, zone, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, err := s.instanceLocked(project, zone, name)
	if err != nil {
		return "", err
	}
	return is.inst.Status, nil
}

func (s *Server) instanceLocked(project, zone, name string) (*instanceState, error) {
	ps, ok := s.projects[project]
	if !ok {
		return nil, fmt.Errorf("gcetest: no project %s", project)
	}
	is, ok := ps.instances[instanceKey(zone, name)]
	if !ok {
		return nil, fmt.Errorf("gcetest: no instance %s/%s in project %s", zone, name, project)
	}
	return is, nil
}
