// Package markup converts between the text formats of Jira and Confluence and markdown:
// Confluence storage XHTML and Jira rendered HTML to markdown for models and the index,
// markdown back to storage XHTML or Jira wiki markup for writes, and an edit round trip
// (EditableMarkdown/ApplyMarkdown, EditableWiki/ApplyWiki) that writes back only what the
// edited markdown changed. It is the only package of atlasbridge that imports
// html-to-markdown and goldmark. Every function is pure and safe for concurrent use.
//
// StorageToMarkdown's markdown, for reading and the index:
//
//   - info/note/warning/tip/panel macros are blockquotes whose first line is a bold label,
//     "> **Note:** …" or "> **Note: Title**"; MarkdownToStorage turns these, and GitHub's
//     "> [!NOTE]", back into the macros.
//   - Macros without text of their own are placeholders in brackets: "[toc]",
//     "[include: Page Title]", "[Jira query: …]", "[STATUS: Done (Green)]", "[macro: name]".
//   - Page links point at /display/SPACE/Title; task lists are "- [ ]" items; a mention is
//     "@username"; tables markdown cannot hold become "**Column:** value" lists.
//
// EditableMarkdown's markdown, for edits: what markdown cannot say is a placeholder that
// ApplyMarkdown puts back byte for byte — ⟦status:Done (Green)⟧, ⟦@userkey⟧, ⟦jira:KEY-1⟧,
// ⟦toc⟧ — and layouts and macros with a rich-text body are "::: kind title" … ":::" blocks
// whose content stays editable. ApplyMarkdown keeps unchanged blocks' bytes, patches word
// edits into their text node and refuses (*LossError, ErrWouldLose) a write that would drop
// an element unless asked to.
package markup
