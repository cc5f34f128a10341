// Package markup converts between the text formats of Jira and Confluence and markdown:
// Confluence storage XHTML and Jira rendered HTML to markdown for models and the index, and
// markdown back to storage XHTML or Jira wiki markup for writes.
//
// It is the only package of atlasbridge that imports html-to-markdown and goldmark. Every
// function is pure (no I/O, no shared state) and safe for concurrent use.
package markup
