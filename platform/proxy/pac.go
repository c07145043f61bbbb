package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// ErrPAC reports a PAC file that cannot be used: it does not compile,
// defines no FindProxyForURL, throws, runs too long or returns something
// other than a string.
var ErrPAC = errors.New("unusable proxy auto-config (PAC) file")

// PACError says which PAC file failed and how. It unwraps to ErrPAC and
// the cause.
type PACError struct {
	URL string // where the PAC file came from
	Err error
}

// Error names the PAC file and the cause.
func (e *PACError) Error() string { return fmt.Sprintf("PAC file %s: %v", e.URL, e.Err) }

// Unwrap returns ErrPAC and the cause.
func (e *PACError) Unwrap() []error { return []error{ErrPAC, e.Err} }

// pacTimeout bounds one FindProxyForURL call; a PAC file that loops is
// interrupted.
var pacTimeout = 5 * time.Second

// dnsTimeout bounds the PAC functions' name lookups (dnsResolve,
// isResolvable, isInNet).
const dnsTimeout = 3 * time.Second

// PAC is a compiled proxy auto-config script. It is safe for concurrent
// use: calls are serialised, as the JavaScript runtime is single-threaded.
type PAC struct {
	source string // where the script came from, for errors

	mu sync.Mutex // guards vm; held for a whole FindProxyForURL call
	vm *goja.Runtime
	fn goja.Callable
}

// CompilePAC compiles script (the text of a PAC file fetched from source)
// and installs the standard PAC functions: isPlainHostName, dnsDomainIs,
// localHostOrDomainIs, isResolvable, isInNet, dnsResolve, convert_addr,
// myIpAddress, dnsDomainLevels, shExpMatch, weekdayRange, dateRange and
// timeRange.
func CompilePAC(source, script string) (*PAC, error) {
	prog, err := goja.Compile(source, script, false)
	if err != nil {
		return nil, &PACError{URL: source, Err: err}
	}
	vm := goja.New()
	for name, fn := range map[string]any{
		"dnsResolve":   pacResolve,
		"myIpAddress":  myIPAddress,
		"isResolvable": func(host string) bool { return pacResolve(host) != nil },
		"alert":        func(string) {},
	} {
		if err := vm.Set(name, fn); err != nil {
			return nil, &PACError{URL: source, Err: err}
		}
	}
	if _, err := vm.RunString(pacUtils); err != nil {
		return nil, &PACError{URL: source, Err: fmt.Errorf("install PAC functions: %w", err)}
	}
	if err := runBounded(vm, func() error { _, err := vm.RunProgram(prog); return err }); err != nil {
		return nil, &PACError{URL: source, Err: err}
	}
	fn, ok := goja.AssertFunction(vm.Get("FindProxyForURL"))
	if !ok {
		return nil, &PACError{URL: source, Err: errors.New("no FindProxyForURL function")}
	}
	return &PAC{source: source, vm: vm, fn: fn}, nil
}

// runBounded runs f, interrupting the runtime after pacTimeout.
func runBounded(vm *goja.Runtime, f func() error) error {
	t := time.AfterFunc(pacTimeout, func() { vm.Interrupt(fmt.Sprintf("did not finish within %v", pacTimeout)) })
	defer func() {
		t.Stop()
		vm.ClearInterrupt()
	}()
	return f()
}

// FindProxyForURL evaluates the script for u and returns its answer, e.g.
// "PROXY proxy.corp:3128; DIRECT". As browsers do, an https URL is passed
// without its path and query (which may hold secrets).
func (p *PAC) FindProxyForURL(u *url.URL) (string, error) {
	arg := *u
	arg.User = nil
	if arg.Scheme == "https" || arg.Scheme == "wss" {
		arg.Path, arg.RawPath, arg.RawQuery, arg.Fragment = "/", "", "", ""
	}
	host := u.Hostname()
	p.mu.Lock()
	defer p.mu.Unlock()
	var res goja.Value
	err := runBounded(p.vm, func() error {
		var err error
		res, err = p.fn(goja.Undefined(), p.vm.ToValue(arg.String()), p.vm.ToValue(host))
		return err
	})
	if err != nil {
		return "", &PACError{URL: p.source, Err: fmt.Errorf("FindProxyForURL(%s): %w", host, err)}
	}
	s, ok := res.Export().(string)
	if !ok {
		return "", &PACError{URL: p.source, Err: fmt.Errorf("FindProxyForURL(%s) returned %v, not a string", host, res)}
	}
	return s, nil
}

// pacResolve is dnsResolve: the first IPv4 address of host, or null.
func pacResolve(host string) any {
	ctx, cancel := context.WithTimeout(context.Background(), dnsTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", host)
	if err != nil || len(ips) == 0 {
		return nil
	}
	return ips[0].String()
}

// myIPAddress is the address of the interface that reaches the internet
// (no packet is sent: a UDP "connection" only picks the route), else
// 127.0.0.1, as browsers answer.
func myIPAddress() string {
	c, err := net.Dial("udp4", "8.8.8.8:53")
	if err != nil {
		return "127.0.0.1"
	}
	defer c.Close()
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok {
		return a.IP.String()
	}
	return "127.0.0.1"
}

// pacUtils are the standard PAC functions that need no network, written
// to the Netscape specification as browsers implement it.
const pacUtils = `
function isPlainHostName(host) { return host.indexOf('.') < 0; }
function dnsDomainIs(host, domain) {
  return host.length >= domain.length && host.substring(host.length - domain.length) == domain;
}
function localHostOrDomainIs(host, hostdom) {
  return host == hostdom || hostdom.lastIndexOf(host + '.', 0) == 0;
}
function dnsDomainLevels(host) { return host.split('.').length - 1; }
function convert_addr(ipchars) {
  var b = ipchars.split('.');
  return (((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff)) >>> 0;
}
function isInNet(ipaddr, pattern, maskstr) {
  var re = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
  if (!re.test(ipaddr)) { ipaddr = dnsResolve(ipaddr); if (ipaddr == null) return false; }
  if (!re.test(pattern) || !re.test(maskstr)) return false;
  var host = convert_addr(ipaddr), pat = convert_addr(pattern), mask = convert_addr(maskstr);
  return ((host & mask) >>> 0) == ((pat & mask) >>> 0);
}
function shExpMatch(url, pattern) {
  pattern = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp('^' + pattern + '$').test(url);
}
var __pacDays = ['SUN','MON','TUE','WED','THU','FRI','SAT'];
var __pacMonths = ['JAN','FEB','MAR','APR','MAY','JUN','JUL','AUG','SEP','OCT','NOV','DEC'];
function __pacNow(args) {
  var gmt = args.length > 0 && args[args.length - 1] == 'GMT';
  var d = new Date();
  return {gmt: gmt, n: gmt ? args.length - 1 : args.length,
    day: gmt ? d.getUTCDay() : d.getDay(), date: gmt ? d.getUTCDate() : d.getDate(),
    month: gmt ? d.getUTCMonth() : d.getMonth(), year: gmt ? d.getUTCFullYear() : d.getFullYear(),
    hour: gmt ? d.getUTCHours() : d.getHours(), min: gmt ? d.getUTCMinutes() : d.getMinutes(),
    sec: gmt ? d.getUTCSeconds() : d.getSeconds()};
}
function __pacIn(v, lo, hi) { return lo <= hi ? (v >= lo && v <= hi) : (v >= lo || v <= hi); }
function weekdayRange() {
  var now = __pacNow(arguments);
  var lo = __pacDays.indexOf(arguments[0]), hi = now.n > 1 ? __pacDays.indexOf(arguments[1]) : lo;
  if (lo < 0 || hi < 0) return false;
  return __pacIn(now.day, lo, hi);
}
function dateRange() {
  var now = __pacNow(arguments), a = Array.prototype.slice.call(arguments, 0, now.n);
  function part(v) {
    if (typeof v == 'number' || /^\d+$/.test(v)) { v = +v; return v > 31 ? {year: v} : {date: v}; }
    var m = __pacMonths.indexOf(v); return m >= 0 ? {month: m} : null;
  }
  var parts = [];
  for (var i = 0; i < a.length; i++) { var p = part(a[i]); if (p == null) return false; parts.push(p); }
  function cmpKey(p) {
    var y = p.year !== undefined ? p.year : now.year;
    var m = p.month !== undefined ? p.month : now.month;
    var d = p.date !== undefined ? p.date : now.date;
    return y * 10000 + m * 100 + d;
  }
  var nowKey = now.year * 10000 + now.month * 100 + now.date;
  if (parts.length == 1) {
    var p = parts[0];
    return (p.year === undefined || p.year == now.year) && (p.month === undefined || p.month == now.month) &&
      (p.date === undefined || p.date == now.date);
  }
  var half = parts.length / 2;
  if (half != Math.floor(half)) return false;
  var lo = {}, hi = {};
  for (var j = 0; j < half; j++) { for (var k in parts[j]) lo[k] = parts[j][k]; for (var k2 in parts[j + half]) hi[k2] = parts[j + half][k2]; }
  var l = cmpKey(lo), h = cmpKey(hi);
  if (lo.year === undefined) { return __pacIn(nowKey % 10000, l % 10000, h % 10000); }
  return nowKey >= l && nowKey <= h;
}
function timeRange() {
  var now = __pacNow(arguments), a = Array.prototype.slice.call(arguments, 0, now.n);
  var t = now.hour * 3600 + now.min * 60 + now.sec;
  switch (a.length) {
  case 1: return now.hour == +a[0];
  case 2: return __pacIn(now.hour, +a[0], +a[1] - 1) || (+a[0] == +a[1] && now.hour == +a[0]);
  case 4: return __pacIn(t, a[0] * 3600 + a[1] * 60, a[2] * 3600 + a[3] * 60 - 1);
  case 6: return __pacIn(t, a[0] * 3600 + a[1] * 60 + +a[2], a[3] * 3600 + a[4] * 60 + +a[5]);
  }
  return false;
}
`
