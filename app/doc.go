// Package app holds iapdesk's use cases: the explorer model, the one
// connect policy (Connector), saved connections and settings levels,
// credentials, tunnels and accounts. It knows nothing of Fyne (views adapt
// its plain values and callbacks to widgets) nor of Google's client
// libraries: it defines the small interfaces it needs (InstanceLister,
// KeyPublisher, …), which app/gce implements, and app/desk joins the two.
// Settings inheritance is app/settings.
package app
