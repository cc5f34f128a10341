package sim

import (
	"fmt"
	"html"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// people are the generated Jira users besides the configured ones.
var people = [][2]string{
	{"bob.builder", "Bob Builder"}, {"carol.chen", "Carol Chen"}, {"dave.ops", "Dave Okafor"},
	{"erin.data", "Erin Dubois"}, {"frank.web", "Frank Weber"}, {"grace.sre", "Grace Singh"},
}

type issueTemplate struct {
	typ, summary, component string
	labels                  []string
	topic                   string // handbook page the description points to
}

var issueTemplates = map[string][]issueTemplate{
	"OPS": {
		{"Bug", "Pager alert storm from {svc} during the {window} deploy window", "Alerting", []string{"on-call", "pager"}, "On-call Rotation and Pager"},
		{"Bug", "Rollback of {svc} release {ver} failed on {env}", "CI/CD", []string{"deployment", "rollback"}, "Deployment and Rollback"},
		{"Task", "Rotate TLS certificate for {host} before it expires", "Networking", []string{"tls", "security"}, "TLS Certificate Renewal"},
		{"Bug", "VPN clients drop after {n} minutes on {os}", "VPN", []string{"vpn"}, "VPN Setup"},
		{"Task", "Write postmortem for the {svc} outage of {date}", "Alerting", []string{"postmortem", "incident"}, "Incident Postmortems"},
		{"Bug", "Kubernetes node {node} NotReady after kernel upgrade", "Kubernetes", []string{"kubernetes"}, "Kubernetes Cluster Operations"},
		{"Improvement", "Add runbook link to the {svc} high latency alert", "Alerting", []string{"runbook", "on-call"}, "Alerting and Runbooks"},
		{"Task", "Update on-call handover checklist with {item}", "Alerting", []string{"on-call"}, "On-call Rotation and Pager"},
		{"Bug", "Disk usage on {host} above {pct}% after log retention change", "Kubernetes", []string{"logging"}, "Logging and Log Retention"},
		{"Improvement", "Automate canary analysis for {svc} deploys", "CI/CD", []string{"deployment"}, "Deployment and Rollback"},
	},
	"WEB": {
		{"Bug", "Checkout returns 500 when {cond}", "Checkout", []string{"checkout", "customer-facing"}, "Incident Postmortems"},
		{"Bug", "SSO login loops back to {page} for some users", "Auth", []string{"sso", "auth"}, "Access Requests"},
		{"Improvement", "Slow {endpoint} API responses (p95 {ms} ms)", "API", []string{"performance"}, "Performance Budgets"},
		{"Bug", "Feature flag {flag} not respected in {env}", "Frontend", []string{"feature-flags"}, "Feature Flags"},
		{"Task", "Add {topic} to the code review checklist", "Frontend", []string{"code-review"}, "Code Review Guidelines"},
		{"Story", "As a customer I want to {want}", "Frontend", []string{"ux"}, "Release Checklist"},
		{"Task", "Prepare release {ver} following the release checklist", "API", []string{"release"}, "Release Checklist"},
		{"Bug", "Session cookie missing Secure flag on {env}", "Auth", []string{"security"}, "Secrets Management"},
	},
	"DATA": {
		{"Bug", "Nightly PostgreSQL backup to {bucket} failed", "Backups", []string{"backup", "postgresql"}, "Database Backups and Restore"},
		{"Task", "Run quarterly restore drill for {db}", "Backups", []string{"backup", "restore-drill"}, "Database Backups and Restore"},
		{"Bug", "ETL job {job} duplicates rows after a retry", "ETL", []string{"etl"}, "Data Pipelines"},
		{"Bug", "Replica lag on {db} exceeds {n} seconds", "PostgreSQL", []string{"replication", "postgresql"}, "PostgreSQL Operations"},
		{"Task", "Access request: read-only role on {db} for {team}", "PostgreSQL", []string{"access-request"}, "Access Requests"},
		{"Improvement", "Autovacuum is not keeping up on {table}", "PostgreSQL", []string{"postgresql", "vacuum"}, "PostgreSQL Operations"},
		{"Task", "Apply schema migration {mig} to {db}", "PostgreSQL", []string{"migration"}, "Database Migrations"},
		{"Story", "Expose {table} in the warehouse for the finance team", "Warehouse", []string{"warehouse"}, "Data Pipelines"},
	},
}

var fillers = map[string][]string{
	"svc":      {"payments-api", "search-indexer", "auth-gateway", "order-service", "notification-worker", "billing-cron"},
	"window":   {"Tuesday", "Thursday", "evening", "weekend"},
	"ver":      {"2024.1.3", "2024.2.0", "2024.2.1", "2024.3.0", "2025.1.0"},
	"env":      {"staging", "production", "eu-west production", "canary"},
	"host":     {"api.example.com", "vpn.example.com", "grafana.internal", "registry.internal"},
	"n":        {"5", "10", "15", "30", "45"},
	"os":       {"macOS 14", "Windows 11", "Ubuntu 22.04", "Fedora 39"},
	"date":     {"March 3", "April 17", "May 9", "June 21", "July 2"},
	"node":     {"k8s-worker-07", "k8s-worker-12", "k8s-infra-02"},
	"item":     {"the status page login", "the escalation phone tree", "the silence-alert procedure"},
	"pct":      {"85", "90", "95"},
	"cond":     {"the cart has more than 50 items", "a coupon expires mid-checkout", "the shipping address has no postcode"},
	"page":     {"/login", "/account", "/checkout"},
	"endpoint": {"/api/v2/orders", "/api/v2/search", "/api/v1/invoices"},
	"ms":       {"800", "1200", "2500"},
	"flag":     {"new-checkout", "dark-mode", "search-v2"},
	"topic":    {"database migrations", "feature flags", "error handling", "logging of personal data"},
	"want":     {"save my cart between sessions", "download invoices as PDF", "see delivery estimates"},
	"bucket":   {"s3://backups-prod-eu", "s3://backups-prod-us", "gs://pg-archive"},
	"db":       {"orders-db", "users-db", "analytics-db", "billing-db"},
	"job":      {"orders_daily", "users_snapshot", "events_hourly"},
	"team":     {"the finance team", "customer support", "the growth team"},
	"table":    {"events", "order_items", "audit_log"},
	"mig":      {"0042_add_order_index", "0057_split_users", "0061_drop_legacy_flags"},
}

var commentPool = []string{
	"I can reproduce this on *staging*. Logs attached below.\n{noformat}\nERROR 2024-05-02T10:11:12Z connection reset by peer\n{noformat}",
	"Looks related to the last deploy. I followed the [rollback steps|https://wiki.example.com/display/ENG/Deployment+and+Rollback] and the error rate dropped.",
	"Paged the on-call engineer; see the _escalation policy_ in the handbook.",
	"Fixed in the latest build, please verify with {{make smoke-test}}.",
	"Added this to the agenda of the weekly postmortem review.",
	"The backup job now retries three times with exponential backoff.",
	"Needs a code review from someone on the platform team before we merge.",
	"Could not reproduce after the VPN client update to 5.2.",
}

func (s *Sim) generateIssues(n int, seed int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jira
	rng := rand.New(rand.NewPCG(uint64(seed), 0x1551e5))
	names := []string{}
	for _, u := range s.opts.Users {
		names = append(names, u.Name)
	}
	for _, p := range people {
		names = append(names, p[0])
	}
	now := s.epoch()
	keys := []string{"OPS", "WEB", "DATA"}
	var made []*issue
	for i := 0; i < n; i++ {
		pk := keys[rng.IntN(len(keys))]
		tpl := issueTemplates[pk][rng.IntN(len(issueTemplates[pk]))]
		summary := fill(tpl.summary, rng)
		created := now.Add(-time.Duration(rng.Int64N(int64(120 * 24 * time.Hour)))).Truncate(time.Second)
		in := Issue{
			Project: pk, Type: tpl.typ, Summary: summary,
			Description: genDescription(tpl, summary, rng),
			Priority:    priorities[rng.IntN(len(priorities))].name,
			Reporter:    names[rng.IntN(len(names))],
			Labels:      tpl.labels, Components: []string{tpl.component}, Created: created,
		}
		if rng.IntN(5) > 0 {
			in.Assignee = names[rng.IntN(len(names))]
		}
		if rng.IntN(3) == 0 {
			in.FixVersions = []string{j.projects[pk].versions[rng.IntN(4)].name}
		}
		if rng.IntN(4) == 0 {
			in.Due = created.Add(time.Duration(7+rng.IntN(60)) * 24 * time.Hour).Format("2006-01-02")
		}
		is, errs := j.add(in, now)
		if errs != nil {
			return fmt.Errorf("sim: generate issue %d: %v", i, errs)
		}
		is.generateFields()
		at := created
		step := func() time.Time {
			at = at.Add(time.Duration(1+rng.IntN(72)) * time.Hour)
			if at.After(now) {
				at = now
			}
			return at
		}
		for c := rng.IntN(4); c > 0; c-- {
			t := step()
			who := names[rng.IntN(len(names))]
			is.comments = append(is.comments, &jcomment{id: j.subID(), author: who, updater: who,
				body: commentPool[rng.IntN(len(commentPool))], created: t, updated: t})
		}
		for wl := rng.IntN(3); wl > 0; wl-- {
			t := step()
			is.worklogs = append(is.worklogs, &worklog{id: j.subID(), author: names[rng.IntN(len(names))],
				comment: "Investigation and fix", started: t, created: t, updated: t, seconds: int64(1+rng.IntN(16)) * 1800})
		}
		// Walk the workflow: Open -> In Progress -> Resolved -> Closed, sometimes Reopen.
		path := [][]string{{}, {"4"}, {"4", "5"}, {"4", "5", "701"}, {"5", "3"}, {"4", "5", "701", "3", "4"}}[rng.IntN(6)]
		for _, tid := range path {
			for _, t := range workflow[is.status.name] {
				if t.id == tid {
					res := ""
					if t.to == "Resolved" || t.to == "Closed" {
						res = []string{"Fixed", "Fixed", "Fixed", "Won't Fix", "Duplicate", "Cannot Reproduce"}[rng.IntN(6)]
					}
					j.transitionTo(is, t, res, is.assigneeOr("admin"), step())
				}
			}
		}
		if at.After(is.updated) {
			is.updated = at
		}
		is.refreshText()
		if len(made) > 0 && rng.IntN(5) == 0 {
			other := made[rng.IntN(len(made))]
			j.link(linkTypes[rng.IntN(len(linkTypes))], is, other)
		}
		made = append(made, is)
	}
	j.gen++
	return nil
}

// epoch is the time generated content is dated before (Options.Epoch). Dates drawn as offsets
// from the clock's now changed with every start: a few of them crossed midnight between two
// runs minutes apart, and the indexed text ("Updated 2026-03-04") with them.
func (s *Sim) epoch() time.Time {
	if !s.opts.Epoch.IsZero() {
		return s.opts.Epoch.In(s.now().Location())
	}
	now := s.now()
	return now.UTC().Truncate(24 * time.Hour).In(now.Location())
}

func (is *issue) assigneeOr(def string) string {
	if is.assignee != "" {
		return is.assignee
	}
	return def
}

func fill(tpl string, rng *rand.Rand) string {
	for {
		i := strings.IndexByte(tpl, '{')
		if i < 0 {
			return tpl
		}
		j := strings.IndexByte(tpl[i:], '}')
		if j < 0 {
			return tpl
		}
		key := tpl[i+1 : i+j]
		opts := fillers[key]
		val := key
		if len(opts) > 0 {
			val = opts[rng.IntN(len(opts))]
		}
		tpl = tpl[:i] + val + tpl[i+j+1:]
	}
}

func genDescription(tpl issueTemplate, summary string, rng *rand.Rand) string {
	var b strings.Builder
	link := "https://wiki.example.com/display/ENG/" + strings.ReplaceAll(tpl.topic, " ", "+")
	fmt.Fprintf(&b, "h3. Summary\n%s.\n\nSee the handbook page [%s|%s] for the agreed procedure.\n\n", summary, tpl.topic, link)
	switch tpl.typ {
	case "Bug":
		fmt.Fprintf(&b, "h3. Steps to reproduce\n# Deploy the current *%s* build\n# Trigger the scenario described above\n# Watch the dashboard for errors\n\n", fillers["svc"][rng.IntN(6)])
		b.WriteString("h3. Observed\n{noformat}\n" + fmt.Sprintf("%s ERROR request_id=%08x upstream timed out after 30s", "2024-05-0"+strconv.Itoa(1+rng.IntN(9)), rng.Uint32()) + "\n{noformat}\n\n")
		b.WriteString("h3. Expected\nThe request succeeds and no alert fires.\n")
	case "Task", "Story":
		b.WriteString("h3. Checklist\n* Read the handbook page first\n* Agree the plan in the team channel\n* Update the runbook when done\n\n")
		b.WriteString("{code:bash}\n./scripts/" + strings.ToLower(strings.Fields(tpl.topic)[0]) + ".sh --env staging --dry-run\n{code}\n")
	default:
		b.WriteString("h3. Proposal\n||Option||Effort||Risk||\n|Keep as is|none|high|\n|Automate it|2 days|low|\n\n_Owner:_ the platform team. {{" + tpl.component + "}} is affected.\n")
	}
	return b.String()
}

var pageTopics = []string{"Deployment", "Rollback", "Backup", "Restore", "On-call", "Pager", "VPN", "Kubernetes",
	"PostgreSQL", "Release", "Code Review", "Incident", "Postmortem", "Access", "Monitoring", "Alerting",
	"Logging", "Secrets", "TLS", "Migration", "Caching", "Queue", "Search", "Billing", "Checkout"}

var pageNouns = []string{"Guide", "Runbook", "Checklist", "Notes", "Procedure", "FAQ", "Design", "Overview", "Playbook", "Report"}

var codeSnippets = []struct{ lang, code string }{
	{"bash", "kubectl rollout undo deployment/%s -n production\nkubectl rollout status deployment/%s -n production"},
	{"sql", "SELECT pid, state, query_start, query\nFROM pg_stat_activity\nWHERE datname = '%s' AND state <> 'idle';"},
	{"yaml", "service: %s\nreplicas: 3\nresources:\n  limits:\n    memory: 512Mi"},
	{"go", "func healthz(w http.ResponseWriter, r *http.Request) {\n\t// %s readiness probe\n\tw.WriteHeader(http.StatusOK)\n}"},
}

// GeneratePages adds n synthetic pages (headings, paragraphs, code macros, tables, notes) to a space,
// creating the space when it does not exist. The same seed gives the same pages.
func (s *Sim) GeneratePages(spaceKey string, n int, seed int64) error {
	if n < 0 {
		return fmt.Errorf("sim: generate pages: n %d must not be negative", n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.epoch()
	sp, err := s.conf.addSpace(spaceKey, "Generated "+spaceKey, now, "admin", true)
	if err != nil {
		return fmt.Errorf("sim: generate pages: %w", err)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9a9e5))
	var recent []*content
	start := len(sp.pages)
	for i := 0; i < n; i++ {
		topic := pageTopics[rng.IntN(len(pageTopics))]
		title := fmt.Sprintf("%s %s %d", topic, pageNouns[rng.IntN(len(pageNouns))], start+i)
		svc := fillers["svc"][rng.IntN(len(fillers["svc"]))]
		var b strings.Builder
		fmt.Fprintf(&b, "<h1>%s</h1><p>This page describes the %s work for <strong>%s</strong>. Owners review it every quarter.</p>",
			html.EscapeString(title), strings.ToLower(topic), svc)
		for sec := 0; sec < 2+rng.IntN(3); sec++ {
			fmt.Fprintf(&b, "<h2>%s step %d</h2><p>Before you start, check the %s dashboard and announce the change in #ops. "+
				"If the %s error rate rises above %d%%, stop and roll back.</p>", topic, sec+1, svc, svc, 1+rng.IntN(5))
			switch rng.IntN(3) {
			case 0:
				sn := codeSnippets[rng.IntN(len(codeSnippets))]
				fmt.Fprintf(&b, `<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">%s</ac:parameter>`+
					`<ac:plain-text-body><![CDATA[%s]]></ac:plain-text-body></ac:structured-macro>`, sn.lang,
					strings.ReplaceAll(sn.code, "%s", svc))
			case 1:
				fmt.Fprintf(&b, "<table><tbody><tr><th>Environment</th><th>Owner</th><th>SLO</th></tr>"+
					"<tr><td>staging</td><td>%s</td><td>99.0%%</td></tr><tr><td>production</td><td>%s</td><td>99.9%%</td></tr></tbody></table>",
					people[rng.IntN(len(people))][1], people[rng.IntN(len(people))][1])
			default:
				fmt.Fprintf(&b, `<ac:structured-macro ac:name="note"><ac:rich-text-body><p>Never run the %s procedure during a freeze.</p>`+
					`</ac:rich-text-body></ac:structured-macro>`, strings.ToLower(topic))
			}
		}
		p := Page{Space: spaceKey, Title: title, Body: b.String(),
			Labels:  []string{strings.ToLower(strings.ReplaceAll(topic, " ", "-"))},
			Created: now.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Millisecond)}
		p.Updated = p.Created.Add(time.Duration(rng.Int64N(int64(now.Sub(p.Created)) + 1))).Truncate(time.Millisecond)
		if len(recent) > 0 && rng.IntN(3) > 0 {
			p.ParentID = recent[rng.IntN(len(recent))].idStr()
		}
		ct, err := s.conf.add(p, now)
		if err != nil {
			return fmt.Errorf("sim: generate pages: page %d: %w", i, err)
		}
		if len(recent) < 50 {
			recent = append(recent, ct)
		} else {
			recent[rng.IntN(50)] = ct
		}
	}
	return nil
}
