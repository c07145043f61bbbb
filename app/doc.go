// Package app holds iapdesk's use cases: the explorer model, connect
// orchestration, profiles, settings and credentials. It knows nothing of Fyne;
// views adapt its plain values and callbacks to widgets.
package app
