package sim

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// authResult is what authenticate found in a request.
type authResult int

const (
	authOK        authResult = iota
	authMissing              // no credentials: anonymous
	authBadCreds             // credentials present but wrong
	authBadHeader            // an Authorization header we cannot read
	authDenied               // a login Seraph refused (CAPTCHA): anonymous, with a reason
)

// authenticate checks HTTP Basic (name:password) or "Bearer <personal access token>".
func (s *Sim) authenticate(r *http.Request) (*User, authResult) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, authMissing
	}
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		if s.opts.NoPAT {
			return nil, authMissing
		}
		tok = strings.TrimSpace(tok)
		for t, u := range s.byTok {
			if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
				return u, authOK
			}
		}
		return nil, authBadCreds
	}
	name, pw, ok := r.BasicAuth()
	if !ok {
		return nil, authBadHeader
	}
	u := s.users[name]
	if u != nil && u.LoginDenied {
		return nil, authDenied
	}
	if u == nil || subtle.ConstantTimeCompare([]byte(u.Password), []byte(pw)) != 1 {
		return nil, authBadCreds
	}
	return u, authOK
}

// withUser wraps a handler that needs an authenticated user. Wrong credentials get Seraph's real
// 401 (an HTML body and X-Seraph-LoginReason: AUTHENTICATED_FAILED, as both products send);
// anonymous requests get the product's JSON 401, or with AnonymousRead are served as the
// anonymous user, who may read (nothing, unless a handler says otherwise) but not write.
func (s *Sim) withUser(h func(http.ResponseWriter, *http.Request, *User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, res := s.authenticate(r)
		if res == authDenied {
			w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATION_DENIED")
			res = authMissing
		}
		switch {
		case res == authOK:
			w.Header().Set("X-AUSERNAME", u.Name)
			h(w, r, u)
			return
		case res == authMissing && s.opts.AnonymousRead && r.Method == http.MethodGet:
			w.Header().Set("X-AUSERNAME", "anonymous")
			h(w, r, s.anon)
			return
		}
		switch res {
		case authBadCreds, authBadHeader:
			w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
			w.Header().Set("WWW-Authenticate", `BASIC realm="protected-area"`)
			w.Header().Set("Content-Type", "text/html;charset=UTF-8")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("<html><head><title>Unauthorized (401)</title></head><body>" +
				"<h1>Unauthorized (401)</h1><p>Basic Authentication Failure - Reason : AUTHENTICATED_FAILED</p>" +
				"</body></html>\n"))
		default:
			w.Header().Set("X-AUSERNAME", "anonymous")
			w.Header().Set("WWW-Authenticate", `BASIC realm="protected-area"`)
			if strings.HasPrefix(r.URL.Path, "/jira/") {
				jiraError(w, http.StatusUnauthorized,
					"You are not authenticated. Authentication required to perform this operation.")
				return
			}
			confError(w, http.StatusUnauthorized, "This request requires authentication.")
		}
	}
}
