package gcetest

import (
	"fmt"
	"net/http"
	"strconv"

	compute "google.golang.org/api/compute/v1"
)

// ring keeps the last size bytes written to a serial port. Offsets are
// absolute: first is the offset of buf[0], first+len(buf) the next byte to
// be written.
type ring struct {
	size  int
	first int64
	buf   []byte
}

func newRing(size int) *ring { return &ring{size: size} }

func (r *ring) write(p []byte) {
	r.buf = append(r.buf, p...)
	if over := len(r.buf) - r.size; over > 0 {
		r.buf = append(r.buf[:0:0], r.buf[over:]...)
		r.first += int64(over)
	}
}

func (r *ring) next() int64 { return r.first + int64(len(r.buf)) }

// read returns the bytes from start on and the offset they really start at.
// A start before the oldest byte kept reads from the oldest byte; a negative
// start means the last -start bytes; a start past the end reads nothing.
func (r *ring) read(start int64) ([]byte, int64) {
	end := r.next()
	if start < 0 {
		start = end + start
	}
	start = max(start, r.first)
	start = min(start, end)
	return append([]byte(nil), r.buf[start-r.first:]...), start
}

// AppendSerial writes text to a VM's serial port (1–4), as the guest would.
func (s *Server) AppendSerial(project, zone, name string, port int, text string) error {
	if port < 1 || port > 4 {
		return fmt.Errorf("gcetest: append serial: port %d out of range 1..4", port)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is, err := s.instanceLocked(project, zone, name)
	if err != nil {
		return err
	}
	is.serial[port].write([]byte(text))
	return nil
}

func (s *Server) serialPort(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	port := 1
	if v := q.Get("port"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 4 {
			writeError(w, errInvalid(fmt.Sprintf("Invalid value for field 'port': '%s'. Must be between 1 and 4.", v)))
			return
		}
		port = n
	}
	var start int64
	if v := q.Get("start"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			writeError(w, errInvalid(fmt.Sprintf("Invalid value for field 'start': '%s'.", v)))
			return
		}
		start = n
	}
	s.mu.Lock()
	_, is, aerr := s.checkInstance(r, "compute.instances.getSerialPortOutput")
	if aerr != nil {
		s.mu.Unlock()
		writeError(w, aerr)
		return
	}
	data, from := is.serial[port].read(start)
	out := &compute.SerialPortOutput{
		Kind:     "compute#serialPortOutput",
		Contents: string(data),
		Start:    from,
		Next:     is.serial[port].next(),
		SelfLink: is.inst.SelfLink + "/serialPort",
	}
	// start and next are int64 strings and omitempty: force them out even
	// when zero, as the real API sends "start":"0".
	out.ForceSendFields = []string{"Start", "Next", "Contents"}
	s.mu.Unlock()
	writeJSON(w, r, out)
}

// bootLog is what a VM prints on serial port 1 when it boots.
func bootLog(is *instanceState) string {
	if is.os == Windows {
		return fmt.Sprintf("Starting Windows...\r\nGCEGuestAgent: GCE Agent Started (version 20240109.00)\r\n"+
			"GCEMetadataScripts: Starting startup scripts.\r\n%s: Instance %s ready.\r\n"+
			"------------------------------------------------------------\r\nInstance setup finished. %s is ready to use.\r\n"+
			"------------------------------------------------------------\r\n", is.inst.Name, is.inst.Name, is.inst.Name)
	}
	return fmt.Sprintf("[    0.000000] Linux version 6.1.0-18-cloud-amd64\r\n[    1.234567] systemd[1]: Detected virtualization kvm.\r\n"+
		"[  OK  ] Started google-guest-agent.service - Google Compute Engine Guest Agent.\r\n"+
		"[  OK  ] Started ssh.service - OpenBSD Secure Shell server.\r\n%s login: \r\n", is.inst.Name)
}
