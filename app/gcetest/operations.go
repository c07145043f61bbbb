package gcetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	compute "google.golang.org/api/compute/v1"
)

// operation is a zonal or global Compute operation. It is PENDING when
// created and DONE after Config.OperationDelay, when its effect applies.
type operation struct {
	op     *compute.Operation // guarded by Server.mu
	done   chan struct{}      // closed when op is DONE
	effect func()             // runs under Server.mu when the operation completes; may be nil
}

// maxWait is how long operations/wait blocks before answering with the
// operation still running, as the real API does after about two minutes.
const maxWait = 2 * time.Minute

func opKey(project, scope, name string) string { return project + "/" + scope + "/" + name }

// newOperationLocked registers an operation on target and schedules its
// completion. zone "" makes a global operation. The caller holds s.mu.
func (s *Server) newOperationLocked(project, zone, opType, targetLink string, targetID uint64, effect func()) *operation {
	s.opSeq++
	now := s.now()
	name := fmt.Sprintf("operation-%d-%016x", 1700000000000+s.opSeq, stableID(project, zone, opType, fmt.Sprint(s.opSeq)))
	o := &compute.Operation{
		Kind:          "compute#operation",
		Id:            stableID("operation", project, name),
		Name:          name,
		OperationType: opType,
		TargetLink:    targetLink,
		TargetId:      targetID,
		Status:        "PENDING",
		Progress:      0,
		User:          "user@example.com",
		InsertTime:    timestamp(now),
		StartTime:     timestamp(now),
	}
	scope := "global"
	if zone != "" {
		scope = "zones/" + zone
		o.Zone = zoneURL(project, zone)
		o.SelfLink = zoneURL(project, zone) + "/operations/" + name
	} else {
		o.SelfLink = projectURL(project) + "/global/operations/" + name
	}
	op := &operation{op: o, done: make(chan struct{}), effect: effect}
	s.ops[opKey(project, scope, name)] = op
	if !s.closed {
		s.wg.Go(func() {
			t := time.NewTimer(s.cfg.OperationDelay)
			defer t.Stop()
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			s.completeLocked(op)
		})
	}
	return op
}

func (s *Server) completeLocked(op *operation) {
	if op.op.Status == "DONE" {
		return
	}
	op.op.Status = "DONE"
	op.op.Progress = 100
	op.op.EndTime = timestamp(s.now())
	if op.effect != nil {
		op.effect()
	}
	close(op.done)
}

// marshalOp encodes op; the caller holds s.mu and writes the bytes after
// unlocking.
func marshalOp(op *operation) []byte {
	b, _ := json.Marshal(op.op) // plain fields: cannot fail
	return b
}

func (s *Server) getOperation(wait bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, z, name := r.PathValue("project"), r.PathValue("zone"), r.PathValue("operation")
		scope, perm := "global", "compute.globalOperations.get"
		if z != "" {
			scope, perm = "zones/"+z, "compute.zoneOperations.get"
		}
		s.mu.Lock()
		_, aerr := s.checkProject(p, perm)
		op := s.ops[opKey(p, scope, name)]
		if aerr == nil && op == nil {
			aerr = errNotFound(fmt.Sprintf("projects/%s/%s/operations/%s", p, scope, name))
		}
		s.mu.Unlock()
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		if wait {
			t := time.NewTimer(maxWait)
			select {
			case <-op.done:
			case <-t.C:
			case <-r.Context().Done(): // also done when the server closes
			}
			t.Stop()
		}
		s.mu.Lock()
		b := marshalOp(op)
		s.mu.Unlock()
		writeBody(w, r, b)
	}
}

// instanceAction handles instances.start, stop and reset: the status moves
// at once to the transitional state (STAGING, STOPPING) and to the final
// one when the operation is DONE.
func (s *Server) instanceAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		ps, is, aerr := s.checkInstance(r, "compute.instances."+action)
		if aerr != nil {
			s.mu.Unlock()
			writeError(w, aerr)
			return
		}
		in := is.inst
		var effect func()
		switch action {
		case "start":
			switch in.Status {
			case "TERMINATED", "STOPPED", "SUSPENDED":
				in.Status = "STAGING"
				is.touch()
				effect = func() {
					if in.Status == "STAGING" {
						in.Status = "RUNNING"
						in.LastStartTimestamp = timestamp(s.now())
						is.touch()
						is.serial[1].write([]byte(bootLog(is)))
						s.agentScanLocked(ps, is)
					}
				}
			}
		case "stop":
			switch in.Status {
			case "RUNNING", "STAGING", "PROVISIONING", "REPAIRING":
				in.Status = "STOPPING"
				is.touch()
				effect = func() {
					if in.Status == "STOPPING" {
						in.Status = "TERMINATED"
						in.LastStopTimestamp = timestamp(s.now())
						is.touch()
					}
				}
			}
		case "reset":
			if in.Status != "RUNNING" {
				s.mu.Unlock()
				writeError(w, &apiError{Code: http.StatusBadRequest, Reason: "resourceNotReady",
					Message: fmt.Sprintf("The resource 'projects/%s/zones/%s/instances/%s' is not ready", ps.id, is.zone, in.Name)})
				return
			}
			effect = func() {
				if in.Status == "RUNNING" {
					is.serial[1].write([]byte(bootLog(is)))
				}
			}
		}
		op := s.newOperationLocked(ps.id, is.zone, action, in.SelfLink, in.Id, effect)
		b := marshalOp(op)
		s.mu.Unlock()
		writeBody(w, r, b)
	}
}
