package tunnel

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Target is what a tunnel connects to: a VM's network interface, or (with
// Region, Network and Host set) an on-premises or hybrid host reached through a
// destination group. Project and Port are always required.
type Target struct {
	Project   string
	Port      int
	Zone      string // VM target
	Instance  string // VM name, not ID
	Interface string // NIC; "" means nic0

	Region    string // host target
	Network   string // host target: VPC network name
	Host      string // host target: IP or FQDN
	DestGroup string // host target: destination group (wire name "group")
}

// hostBased reports whether t is a host (not VM) target: gcloud's rule is that
// any of region, network, host or group makes it one.
func (t Target) hostBased() bool {
	return t.Region != "" || t.Network != "" || t.Host != "" || t.DestGroup != ""
}

// Validate checks that t names exactly one kind of target with all its
// fields, as gcloud does before connecting.
func (t Target) Validate() error {
	var missing, extra []string
	need := func(v, name string) {
		if v == "" {
			missing = append(missing, name)
		}
	}
	need(t.Project, "project")
	if t.Port < 1 || t.Port > 65535 {
		return fmt.Errorf("invalid target: port %d is not in 1-65535", t.Port)
	}
	if t.hostBased() {
		need(t.Region, "region")
		need(t.Network, "network")
		need(t.Host, "host")
		for _, f := range []struct{ v, name string }{{t.Zone, "zone"}, {t.Instance, "instance"}, {t.Interface, "interface"}} {
			if f.v != "" {
				extra = append(extra, f.name)
			}
		}
	} else {
		need(t.Zone, "zone")
		need(t.Instance, "instance")
	}
	if len(missing) > 0 {
		return fmt.Errorf("invalid target: missing %s", strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		return fmt.Errorf("invalid target: %s cannot be combined with region/network/host/destination group", strings.Join(extra, ", "))
	}
	return nil
}

func (t Target) iface() string {
	if t.Interface == "" {
		return "nic0"
	}
	return t.Interface
}

// String is project/zone/instance:port, or project/region/network/host:port.
func (t Target) String() string {
	if t.hostBased() {
		return fmt.Sprintf("%s/%s/%s/%s:%d", t.Project, t.Region, t.Network, t.Host, t.Port)
	}
	return fmt.Sprintf("%s/%s/%s:%d", t.Project, t.Zone, t.Instance, t.Port)
}

// DefaultURL is the relay's base URL.
const DefaultURL = "wss://tunnel.cloudproxy.app/v4"

// endpoint is a parsed relay base URL: scheme, host and root path.
type endpoint struct {
	scheme, host, root string
}

// parseEndpoint applies gcloud's --iap-tunnel-url-override rule: scheme, host
// and path come from the URL; a path other than "" or "/" replaces /v4 as the
// root, and connect/reconnect are joined to it with exactly one slash. Any
// query in the override is dropped.
func parseEndpoint(raw string) (endpoint, error) {
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("relay URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http", "https":
		// Accepted as their WebSocket equivalents.
		u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	default:
		return endpoint{}, fmt.Errorf("relay URL %q: scheme must be wss:// or ws://", raw)
	}
	if u.Host == "" {
		return endpoint{}, fmt.Errorf("relay URL %q has no host; want e.g. wss://tunnel.cloudproxy.app/v4 or ws://127.0.0.1:8080", raw)
	}
	root := strings.TrimRight(u.Path, "/")
	if root == "" {
		root = "/v4"
	}
	return endpoint{scheme: u.Scheme, host: u.Host, root: root}, nil
}

// query is an ordered urlencoded query: gcloud's parameter order.
type query []string

func (q *query) add(k, v string) {
	*q = append(*q, url.QueryEscape(k)+"="+url.QueryEscape(v))
}

func (e endpoint) url(path string, q query) string {
	return e.scheme + "://" + e.host + e.root + "/" + path + "?" + strings.Join(q, "&")
}

// connectURL is /v4/connect with the target's parameters in gcloud's order:
// project, port, newWebsocket, then the target fields.
func (e endpoint) connectURL(t Target) string {
	var q query
	q.add("project", t.Project)
	q.add("port", strconv.Itoa(t.Port))
	q.add("newWebsocket", "True")
	if t.hostBased() {
		q.add("region", t.Region)
		q.add("network", t.Network)
		q.add("host", t.Host)
		if t.DestGroup != "" {
			q.add("group", t.DestGroup)
		}
	} else {
		q.add("zone", t.Zone)
		q.add("instance", t.Instance)
		q.add("interface", t.iface())
	}
	return e.url("connect", q)
}

// reconnectURL is /v4/reconnect for session sid having received ack bytes.
func (e endpoint) reconnectURL(t Target, sid string, ack uint64) string {
	var q query
	q.add("sid", sid)
	q.add("ack", strconv.FormatUint(ack, 10))
	q.add("newWebsocket", "True")
	if t.hostBased() {
		q.add("region", t.Region)
	} else {
		q.add("zone", t.Zone)
	}
	return e.url("reconnect", q)
}

// redact drops the query (which names the target and the session) for errors
// and logs.
func redact(rawURL string) string {
	if i := strings.IndexByte(rawURL, '?'); i >= 0 {
		return rawURL[:i]
	}
	return rawURL
}

var errNoToken = errors.New("no access token")
