// Package desk is iapdesk's composition root: it builds the object graph
// once, from where Google's services are (endpoints), whose credentials to
// use, the config directory and the platform's launcher. The window, every
// command of the command line and the demo build their app objects here;
// the demo only swaps the endpoints for its fakes'. A new front end (a
// terminal tab, a gateway) opens a Desk and calls package app.
package desk
