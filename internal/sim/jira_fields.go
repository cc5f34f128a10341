package sim

import (
	"slices"
	"strconv"
	"strings"
)

// customField is a custom field of the simulated instance. /field lists it
// the way the recorded field list does: custom true, clause names "cf[id]"
// and the name, a schema with the custom type's key and customId.
type customField struct {
	id      int
	name    string
	kind    string   // the custom type's last part: textarea, textfield or select
	options []string // select only
}

// customTypePrefix is the key prefix of Jira's own custom field types.
const customTypePrefix = "com.atlassian.jira.plugin.system.customfieldtypes:"

var customFields = []customField{
	{id: 10200, name: "Steps to Reproduce", kind: "textarea"},
	{id: 10201, name: "Customer", kind: "textfield"},
	{id: 10202, name: "Risk_Factor", kind: "select", options: []string{"High", "Medium", "Low"}},
}

func (f customField) fieldID() string { return "customfield_" + strconv.Itoa(f.id) }

// optionID is the id Jira gives an option of a select field.
func (f customField) optionID(value string) string {
	return strconv.Itoa(f.id*10 + slices.Index(f.options, value))
}

func init() {
	for _, f := range customFields {
		typ := "string"
		if f.kind == "select" {
			typ = "option"
		}
		fieldDefs = append(fieldDefs, fieldDef{id: f.fieldID(), name: f.name, navigable: true, orderable: true,
			clauses: []string{"cf[" + strconv.Itoa(f.id) + "]", f.name}, schemaType: typ})
	}
}

// customFieldByID finds a custom field by its field id ("customfield_10200").
func customFieldByID(id string) (customField, bool) {
	for _, f := range customFields {
		if f.fieldID() == id {
			return f, true
		}
	}
	return customField{}, false
}

// customFieldByName finds a custom field by its name, case-insensitively.
func customFieldByName(name string) (customField, bool) {
	for _, f := range customFields {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return customField{}, false
}

// customValue is an issue's value of a custom field as the REST API shows
// it: the text of a text field, {self, value, id} for a select's option.
func (c *jiraCtx) customValue(is *issue, f customField) any {
	v, ok := is.custom[f.fieldID()]
	if !ok || v == "" {
		return nil
	}
	if f.kind == "select" {
		id := f.optionID(v)
		return obj{"self": c.api("customFieldOption/" + id), "value": v, "id": id}
	}
	return v
}

// renderedCustom is a custom field in renderedFields: a text area as
// rendered wiki markup, a text field as its text, nothing for a select.
func (c *jiraCtx) renderedCustom(is *issue, f customField) any {
	v := is.custom[f.fieldID()]
	switch {
	case v == "" || f.kind == "select":
		return nil
	case f.kind == "textarea":
		return c.s.jira.wiki(v)
	}
	return v
}

// Generated issues get an environment and custom values picked by their
// id, not drawn from the generator, so the rest of a seed's data is as it
// was before these fields existed.
var (
	genEnvironments = []string{
		"Production, eu-west-1, Kubernetes 1.29",
		"Staging; Chrome 121 on macOS 14",
		"PostgreSQL 15.4 on Debian 12, 64 GB RAM",
	}
	genSteps = []string{
		"# Open the checkout page\n# Add an item to the basket\n# Pay with a saved card: the page hangs",
		"# Connect to the VPN from a hotel network\n# Wait ten minutes: the tunnel drops without a reconnect",
	}
	genCustomers = []string{"Northwind Traders", "Contoso Pharmaceuticals", "Fabrikam Logistics"}
)

// generateFields gives some of the generated issues these fields: few
// enough that issues do not grow alike through them (similar-issue
// searches still find pages among their neighbours).
func (is *issue) generateFields() {
	n := int(is.id)
	if n%5 == 0 {
		is.environment = genEnvironments[n/5%len(genEnvironments)]
	}
	is.custom = map[string]string{}
	if is.typ == "Bug" && n%3 == 0 {
		is.custom[customFields[0].fieldID()] = genSteps[n/3%len(genSteps)]
	}
	if n%7 == 0 {
		is.custom[customFields[1].fieldID()] = genCustomers[n/7%len(genCustomers)]
	}
	if n%4 == 0 {
		is.custom[customFields[2].fieldID()] = customFields[2].options[n/4%3]
	}
}
