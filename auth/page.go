package auth

import (
	"html/template"
	"net/http"
)

// Kinds of page shown in the browser at the end of a sign-in.
const (
	pageSuccess = "Signed in"
	pageFailure = "Sign-in failed"
)

// pageTmpl is the whole page: no scripts, no external resources.
var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>iapdesk: {{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:4em auto;max-width:36em;padding:0 1em;color:#202124}
h1{font-size:1.5em;color:{{if .OK}}#188038{{else}}#c5221f{{end}}}
</style></head>
<body><h1 id="result">{{.Title}}</h1><p id="message">{{.Message}}</p></body></html>
`))

// writePage renders the end-of-sign-in page. The message must not contain
// secrets; html/template escapes it.
func writePage(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, struct {
		Title, Message string
		OK             bool
	}{title, message, title == pageSuccess})
}
