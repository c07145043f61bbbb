package gcetest_test

import (
	"reflect"
	"testing"

	"iapdesk/app/gcetest"
)

func TestGenerate(t *testing.T) {
	a, b := gcetest.Generate(12, 40), gcetest.Generate(12, 40)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("Generate is not deterministic")
	}
	if len(a) != 12 {
		t.Fatalf("Generate(12, 40) made %d projects", len(a))
	}
	ids := map[string]bool{}
	var windows, stopped int
	for _, p := range a {
		if ids[p.ID] {
			t.Errorf("duplicate project ID %s", p.ID)
		}
		ids[p.ID] = true
		if len(p.Instances) != 40 {
			t.Errorf("project %s has %d instances, want 40", p.ID, len(p.Instances))
		}
		names := map[string]bool{}
		for _, in := range p.Instances {
			if names[in.Name] {
				t.Errorf("duplicate VM name %s in %s", in.Name, p.ID)
			}
			names[in.Name] = true
			if in.OS == gcetest.Windows {
				windows++
			}
			if in.Status == "TERMINATED" {
				stopped++
			}
		}
	}
	if windows == 0 || windows == 12*40 || stopped == 0 {
		t.Errorf("Generate made %d Windows and %d stopped VMs of %d, want a mix", windows, stopped, 12*40)
	}
	// A server accepts the generated state.
	newServer(t, gcetest.Config{Projects: a})
}

func TestDemo(t *testing.T) {
	demo := gcetest.Demo()
	if !reflect.DeepEqual(demo, gcetest.Demo()) {
		t.Fatalf("Demo is not deterministic")
	}
	var vms, windows, stopped, failing int
	for _, p := range demo {
		if p.Failure != gcetest.FailureNone {
			failing++
		}
		for _, in := range p.Instances {
			vms++
			if in.OS == gcetest.Windows {
				windows++
			}
			if in.Status == "TERMINATED" {
				stopped++
			}
		}
	}
	if vms < 24 || windows == 0 || windows == vms || stopped == 0 || failing != 1 {
		t.Errorf("Demo has %d VMs (%d Windows, %d stopped) and %d failing projects; want dozens of mixed VMs, some stopped, one failing project",
			vms, windows, stopped, failing)
	}
	newServer(t, gcetest.Config{Projects: demo})
}
