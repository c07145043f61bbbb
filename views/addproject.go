package views

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// searchMax is how many projects one search shows.
const searchMax = 50

// showAddProject is "Add project": search the projects the user can see (a
// word anywhere in the name or ID) and tick some, or type a project ID.
// Projects already in the explorer are shown ticked and greyed, "already
// added"; adding one again says so instead of adding it twice.
func (w *Window) showAddProject() {
	svc := w.svc
	if svc == nil {
		return
	}
	added := map[string]bool{}
	for _, p := range svc.Explorer.Unfiltered().Projects {
		added[p.ID] = true
	}
	query := widget.NewEntry()
	query.SetPlaceHolder("Project name or ID")
	results := container.NewVBox()
	note := widget.NewLabel("")
	note.Wrapping = fyne.TextWrapWord
	var found []app.ProjectInfo
	var checks []*widget.Check

	search := func() {
		if svc.Projects == nil {
			note.SetText("Type the project ID and press Add.")
			return
		}
		q := query.Text
		w.run("Searching projects", func(ctx context.Context) error {
			res, err := svc.Projects.SearchProjects(ctx, q, searchMax)
			if err != nil {
				return err
			}
			w.do(func() {
				found, checks = res.Projects, nil
				results.RemoveAll()
				for _, p := range res.Projects {
					label := p.ID
					if p.Name != "" && p.Name != p.ID {
						label = p.Name + " (" + p.ID + ")"
					}
					c := widget.NewCheck(label, nil)
					if added[p.ID] {
						c.Text += " — already added"
						c.SetChecked(true)
						c.Disable()
					}
					checks = append(checks, c)
					results.Add(c)
				}
				switch {
				case len(res.Projects) == 0:
					note.SetText("No project matches. You can still add a project by its ID.")
				case res.Truncated:
					note.SetText("More projects match: type more of the name to narrow the list.")
				default:
					note.SetText("")
				}
				results.Refresh()
			})
			return nil
		})
	}
	query.OnSubmitted = func(string) { search() }
	find := widget.NewButtonWithIcon("Search", theme.SearchIcon(), search)
	body := container.NewBorder(
		container.NewVBox(container.NewBorder(nil, nil, nil, find, query), note), nil, nil, nil,
		container.NewVScroll(results))
	d := dialog.NewCustomWithoutButtons("Add projects", body, w.win)
	addBtn := widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), func() {
		var add []app.ProjectInfo
		for i, c := range checks {
			if c.Checked && !added[found[i].ID] {
				add = append(add, found[i])
			}
		}
		if len(add) == 0 {
			id := strings.TrimSpace(query.Text)
			switch {
			case id == "":
				note.SetText("Tick a project, or type a project ID.")
				return
			case added[id]:
				note.SetText("Project " + id + " is already in the explorer.")
				return
			}
			add = append(add, app.ProjectInfo{ID: id})
		}
		d.Hide()
		w.run("Adding projects", func(ctx context.Context) error { return svc.Explorer.AddProjects(ctx, add...) })
	})
	addBtn.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), d.Hide), addBtn})
	d.Resize(fyne.NewSize(560, 520))
	d.Show()
	w.win.Canvas().Focus(query)
	search()
}
