package markup

import (
	"strings"
	"testing"
)

// Real pages store mentions by user key; a resolver turns the key into the person's name.
func TestUserKeyMentions(t *testing.T) {
	names := map[string]string{"8a7f808a7b1e": "Ada Admin"}
	resolve := func(k string) string { return names[k] }
	for _, tc := range []struct {
		name, in string
		resolver func(string) string
		want     string
	}{
		{"key resolved", `<p>ask <ac:link><ri:user ri:userkey="8a7f808a7b1e"/></ac:link></p>`, resolve, "@Ada Admin"},
		{"unknown key kept", `<p>ask <ac:link><ri:user ri:userkey="ffff"/></ac:link></p>`, resolve, "@ffff"},
		{"no resolver", `<p>ask <ac:link><ri:user ri:userkey="8a7f808a7b1e"/></ac:link></p>`, nil, "@8a7f808a7b1e"},
		{"username wins", `<p>ask <ac:link><ri:user ri:username="ada" ri:userkey="8a7f808a7b1e"/></ac:link></p>`, resolve, "@ada"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md, err := StorageToMarkdown(tc.in, Options{UserName: tc.resolver})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md, tc.want) {
				t.Errorf("markdown %q lacks %q", md, tc.want)
			}
		})
	}
}
