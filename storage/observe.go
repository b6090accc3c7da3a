package storage

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
)

// Command is a database command the store sent on its main connection — the one every customer's
// message waits on — as reported to Options.Observe.
type Command struct {
	// Name is the command: find, insert, update, delete, findAndModify, aggregate, count, ...
	Name string
	// Collection is the collection it addressed.
	Collection string
	// ByID reports whether the command reads documents only by their _id: every filter it carries
	// is exactly {_id: <string>} (inserts carry none). On the embedded server any other filter
	// reads the whole collection.
	ByID bool
}

// observer builds the driver's command monitor that reports each started command to fn.
func observer(fn func(Command)) *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		fn(describeCommand(e.CommandName, e.Command))
	}}
}

// describeCommand reads a command's collection and filters.
func describeCommand(name string, cmd bson.Raw) Command {
	c := Command{Name: name, ByID: true}
	if v, err := cmd.LookupErr(name); err == nil {
		c.Collection, _ = v.StringValueOK()
	}
	var filters []bson.RawValue
	switch name {
	case "find", "count", "distinct":
		if v, err := cmd.LookupErr("filter"); err == nil {
			filters = append(filters, v)
		} else if v, err := cmd.LookupErr("query"); err == nil {
			filters = append(filters, v)
		} else {
			c.ByID = false // no filter: the whole collection
		}
	case "findAndModify":
		if v, err := cmd.LookupErr("query"); err == nil {
			filters = append(filters, v)
		}
	case "update", "delete":
		list := "updates"
		if name == "delete" {
			list = "deletes"
		}
		// The driver sends the statements as a document sequence, which the started event folds
		// into the command under the same name.
		if v, err := cmd.LookupErr(list); err == nil {
			if arr, ok := v.ArrayOK(); ok {
				vals, _ := arr.Values()
				for _, st := range vals {
					if doc, ok := st.DocumentOK(); ok {
						if q, err := doc.LookupErr("q"); err == nil {
							filters = append(filters, q)
						}
					}
				}
			}
		}
	case "aggregate", "listIndexes", "listCollections", "createIndexes", "dropIndexes", "create", "drop", "dropDatabase":
		c.ByID = name != "aggregate"
	}
	for _, f := range filters {
		if !isIDFilter(f) {
			c.ByID = false
		}
	}
	return c
}

// isIDFilter reports whether f is exactly {_id: <string>}.
func isIDFilter(f bson.RawValue) bool {
	doc, ok := f.DocumentOK()
	if !ok {
		return false
	}
	elems, err := doc.Elements()
	if err != nil || len(elems) != 1 || elems[0].Key() != "_id" {
		return false
	}
	_, isString := elems[0].Value().StringValueOK()
	return isString
}
