package gcetest

import (
	"fmt"
	"math/rand/v2"
)

// role is a kind of VM a generated project runs.
type role struct {
	name     string
	os       OS
	image    string
	machines []string
}

var roles = []role{
	{"web", Linux, "debian-12-bookworm", []string{"e2-medium", "e2-standard-2", "n2-standard-2"}},
	{"api", Linux, "ubuntu-2204-jammy", []string{"e2-standard-2", "n2-standard-4"}},
	{"worker", Linux, "debian-12-bookworm", []string{"e2-standard-4", "c3-standard-8", "n2d-standard-4"}},
	{"db", Linux, "rhel-9", []string{"n2-highmem-4", "n2-highmem-8"}},
	{"cache", Linux, "debian-12-bookworm", []string{"e2-highmem-2"}},
	{"build", Linux, "ubuntu-2204-jammy", []string{"c3-standard-8", "e2-standard-8"}},
	{"iis", Windows, "windows-server-2022-dc", []string{"e2-standard-2", "n2-standard-4"}},
	{"sql", Windows, "windows-server-2019-dc", []string{"n2-standard-8", "n2-highmem-4"}},
	{"rdsh", Windows, "windows-server-2022-dc", []string{"e2-standard-4", "n2-standard-8"}},
}

var genZones = []string{
	"us-central1-a", "us-central1-b", "us-central1-f", "us-east1-b", "us-east4-c",
	"europe-west1-b", "europe-west1-c", "europe-west3-a", "asia-southeast1-a", "australia-southeast1-b",
}

var (
	genOrgs  = []string{"acme", "globex", "initech", "umbrella", "hooli", "stark"}
	genEnvs  = []string{"prod", "staging", "dev", "test"}
	genTeams = []string{"platform", "payments", "data", "identity", "search", "mobile"}
)

// Generate returns n projects of m VMs each, deterministically (the same
// arguments give the same projects, IDs and IPs): realistic names, three
// zones per project, a mix of Linux and Windows, labels env/team/role, and
// about one VM in fifteen TERMINATED. Project IDs are unique
// ("acme-prod-000", "globex-staging-001", …) and so are VM names within a
// project.
func Generate(n, m int) []Project {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(m)))
	out := make([]Project, 0, n)
	for i := range n {
		org, env := genOrgs[i%len(genOrgs)], genEnvs[(i/len(genOrgs))%len(genEnvs)]
		p := Project{
			ID:     fmt.Sprintf("%s-%s-%03d", org, env, i),
			Name:   fmt.Sprintf("%s %s %d", org, env, i),
			Labels: map[string]string{"env": env, "org": org},
			Parent: "organizations/555000111222",
		}
		zi := rng.IntN(len(genZones))
		zones := []string{genZones[zi], genZones[(zi+1)%len(genZones)], genZones[(zi+5)%len(genZones)]}
		p.Zones = zones
		p.Instances = make([]Instance, 0, m)
		for j := range m {
			r := roles[rng.IntN(len(roles))]
			zIdx := j % len(zones)
			in := Instance{
				Name:        fmt.Sprintf("%s-%s-%03d", r.name, env, j),
				Zone:        zones[zIdx],
				MachineType: r.machines[rng.IntN(len(r.machines))],
				InternalIP:  fmt.Sprintf("10.%d.%d.%d", 128+zIdx, j/250, j%250+2),
				OS:          r.os,
				Image:       r.image,
				Labels:      map[string]string{"env": env, "team": genTeams[rng.IntN(len(genTeams))], "role": r.name},
			}
			if rng.IntN(15) == 0 {
				in.Status = "TERMINATED"
			}
			if r.name == "web" && rng.IntN(4) == 0 {
				in.ExternalIP = fmt.Sprintf("34.%d.%d.%d", 100+i%100, j/250, j%250+1)
			}
			p.Instances = append(p.Instances, in)
		}
		out = append(out, p)
	}
	return out
}

// DemoOrganization is the parent of the Demo projects.
const DemoOrganization = "organizations/123456789012"

// Demo returns a small demo organisation: five projects with about forty
// mixed Windows and Linux VMs in a few zones, some stopped, project-wide OS
// Login in the sandbox, and one project (acme-legacy-erp) whose Compute
// Engine API is disabled, so its node shows an error.
func Demo() []Project {
	win := func(name, zone, mt, image string, labels map[string]string) Instance {
		return Instance{Name: name, Zone: zone, MachineType: mt, OS: Windows, Image: image, Labels: labels}
	}
	lin := func(name, zone, mt, image string, labels map[string]string) Instance {
		return Instance{Name: name, Zone: zone, MachineType: mt, OS: Linux, Image: image, Labels: labels}
	}
	stopped := func(in Instance) Instance { in.Status = "TERMINATED"; return in }
	external := func(in Instance, ip string) Instance { in.ExternalIP = ip; return in }
	lbl := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	const (
		usA, usB = "us-central1-a", "us-central1-b"
		euB, euC = "europe-west1-b", "europe-west1-c"
		asA      = "asia-southeast1-a"
		debian   = "debian-12-bookworm"
		ubuntu   = "ubuntu-2204-jammy"
		ws2022   = "windows-server-2022-dc"
		ws2019   = "windows-server-2019-dc"
	)
	web := lbl("env", "prod", "app", "storefront", "team", "web")
	return []Project{
		{
			ID: "acme-prod-web", Name: "Acme Production Web", Parent: DemoOrganization,
			Labels: lbl("env", "prod"),
			Instances: []Instance{
				lin("web-prod-01", usA, "e2-standard-2", debian, web),
				lin("web-prod-02", usA, "e2-standard-2", debian, web),
				lin("web-prod-03", usB, "e2-standard-2", debian, web),
				lin("web-prod-04", usB, "e2-standard-2", debian, web),
				lin("web-prod-05", euB, "e2-standard-2", debian, web),
				lin("web-prod-06", euB, "e2-standard-2", debian, web),
				lin("api-prod-01", usA, "n2-standard-4", ubuntu, lbl("env", "prod", "app", "orders-api", "team", "payments")),
				lin("api-prod-02", usB, "n2-standard-4", ubuntu, lbl("env", "prod", "app", "orders-api", "team", "payments")),
				lin("api-prod-03", euB, "n2-standard-4", ubuntu, lbl("env", "prod", "app", "orders-api", "team", "payments")),
				win("iis-prod-01", usA, "e2-standard-4", ws2022, lbl("env", "prod", "app", "legacy-portal", "team", "web")),
				win("iis-prod-02", usB, "e2-standard-4", ws2022, lbl("env", "prod", "app", "legacy-portal", "team", "web")),
				win("sql-prod-01", usA, "n2-highmem-8", ws2019, lbl("env", "prod", "app", "legacy-portal", "team", "dba")),
				external(lin("bastion-prod", usA, "e2-micro", debian, lbl("env", "prod", "team", "platform")), "34.123.45.67"),
			},
		},
		{
			ID: "acme-corp-it", Name: "Acme Corporate IT", Parent: DemoOrganization,
			Labels: lbl("env", "prod", "dept", "it"),
			Instances: []Instance{
				win("dc-01", euB, "e2-standard-2", ws2022, lbl("role", "domain-controller", "team", "it")),
				win("dc-02", euC, "e2-standard-2", ws2022, lbl("role", "domain-controller", "team", "it")),
				win("fs-01", euB, "n2-standard-4", ws2022, lbl("role", "file-server", "team", "it")),
				win("rdsh-01", euB, "n2-standard-8", ws2022, lbl("role", "remote-desktop", "team", "it")),
				win("rdsh-02", euC, "n2-standard-8", ws2022, lbl("role", "remote-desktop", "team", "it")),
				stopped(win("rdsh-03", euC, "n2-standard-8", ws2022, lbl("role", "remote-desktop", "team", "it"))),
				stopped(win("print-01", euB, "e2-small", ws2019, lbl("role", "print-server", "team", "it"))),
				lin("jump-linux-01", euB, "e2-small", debian, lbl("role", "jump-host", "team", "it")),
				win("wsus-01", euC, "e2-standard-2", ws2019, lbl("role", "updates", "team", "it")),
			},
		},
		{
			ID: "acme-data-platform", Name: "Acme Data Platform", Parent: DemoOrganization,
			Labels: lbl("env", "prod", "dept", "data"),
			Instances: []Instance{
				lin("spark-master-01", usB, "n2-highmem-8", debian, lbl("app", "spark", "team", "data")),
				lin("spark-worker-01", usB, "n2-highmem-16", debian, lbl("app", "spark", "team", "data")),
				lin("spark-worker-02", usB, "n2-highmem-16", debian, lbl("app", "spark", "team", "data")),
				lin("spark-worker-03", usB, "n2-highmem-16", debian, lbl("app", "spark", "team", "data")),
				lin("spark-worker-04", usB, "n2-highmem-16", debian, lbl("app", "spark", "team", "data")),
				lin("airflow-01", usA, "e2-standard-4", ubuntu, lbl("app", "airflow", "team", "data")),
				stopped(lin("jupyter-01", usA, "n1-standard-8", ubuntu, lbl("app", "notebooks", "team", "data"))),
				lin("postgres-01", usA, "n2-highmem-4", "rhel-9", lbl("app", "warehouse-meta", "team", "dba")),
				lin("kafka-01", asA, "n2-standard-4", debian, lbl("app", "kafka", "team", "data")),
				lin("kafka-02", asA, "n2-standard-4", debian, lbl("app", "kafka", "team", "data")),
			},
		},
		{
			ID: "acme-dev-sandbox", Name: "Acme Dev Sandbox", Parent: DemoOrganization,
			Labels:   lbl("env", "dev"),
			Metadata: []MetadataItem{{Key: "enable-oslogin", Value: "TRUE"}},
			Instances: []Instance{
				lin("dev-alice-01", usA, "e2-standard-4", ubuntu, lbl("owner", "alice", "env", "dev")),
				lin("dev-bob-01", usA, "e2-standard-4", debian, lbl("owner", "bob", "env", "dev")),
				win("win-test-01", usA, "e2-standard-4", ws2022, lbl("owner", "carol", "env", "dev")),
				stopped(win("win-test-02", usB, "e2-standard-4", ws2019, lbl("owner", "carol", "env", "dev"))),
				lin("ci-runner-01", usB, "c3-standard-8", ubuntu, lbl("app", "ci", "env", "dev")),
				lin("ci-runner-02", usB, "c3-standard-8", ubuntu, lbl("app", "ci", "env", "dev")),
				lin("ci-runner-03", usB, "c3-standard-8", ubuntu, lbl("app", "ci", "env", "dev")),
			},
		},
		{
			ID: "acme-legacy-erp", Name: "Acme Legacy ERP", Parent: DemoOrganization,
			Labels:  lbl("env", "prod", "dept", "finance"),
			Failure: FailureServiceDisabled,
			Zones:   []string{euB},
		},
	}
}
