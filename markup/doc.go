// Package markup converts between the text formats of Jira and Confluence and markdown:
// Confluence storage XHTML and Jira rendered HTML to markdown for models and the index, and
// markdown back to storage XHTML or Jira wiki markup for writes.
//
// It is the only package of atlasbridge that imports html-to-markdown and goldmark. Every
// function is pure (no I/O, no shared state) and safe for concurrent use.
//
// The markdown it writes follows a few conventions a model can rely on:
//
//   - info/note/warning/tip/panel macros are blockquotes whose first line is a bold label:
//     "> **Note:** …", or "> **Note: Title**" when the macro has a title. MarkdownToStorage
//     turns these, and GitHub's "> [!NOTE]", back into the macros.
//   - Macros without text of their own are visible placeholders in brackets: "[toc]",
//     "[children]", "[include: Page Title]", "[Jira query: …]", "[STATUS: Done (Green)]",
//     and "[macro: name]" for any macro this package does not know, followed by its body.
//   - Page links point at /display/SPACE/Title (absolute under Options.BaseURL); task lists
//     are "- [ ]" / "- [x]" items; a mention is "@username".
//   - Tables that markdown cannot hold (cells with lists, code or tables) become one list of
//     "**Column:** value" items per row.
//   - Output is cleaned (see Clean), has no trailing spaces and no runs of blank lines.
package markup
