package mcp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/atlasbridge/atlasbridge/atlassian"
	"github.com/atlasbridge/atlasbridge/internal/extract"
)

// Limits of the attachment tools. Text is read whole and paged with max_chars, so its cap bounds
// memory, not the answer; an image goes to the model whole, so its cap bounds the answer.
const (
	maxTextAttachment   = 5 << 20
	maxImageAttachment  = 1 << 20
	maxUploadAttachment = 10 << 20 // Jira's default attachment size limit
	// maxDocAttachment bounds a PDF or Office file read for its text: the
	// whole file is in memory while it is read.
	maxDocAttachment = 20 << 20
)

// textExtensions are files read as text whatever type the server gives them.
var textExtensions = map[string]bool{".txt": true, ".md": true, ".csv": true, ".tsv": true, ".json": true, ".xml": true,
	".log": true, ".yaml": true, ".yml": true, ".toml": true, ".ini": true, ".conf": true, ".properties": true, ".sql": true,
	".sh": true, ".go": true, ".py": true, ".js": true, ".ts": true, ".java": true, ".c": true, ".h": true, ".cpp": true,
	".rs": true, ".rb": true, ".html": true, ".css": true, ".diff": true, ".patch": true}

func isTextFile(name, mimeType string) bool {
	mt := strings.ToLower(strings.TrimSpace(strings.SplitN(mimeType, ";", 2)[0]))
	switch {
	case strings.HasPrefix(mt, "text/"), mt == "application/json", mt == "application/xml", mt == "application/x-yaml",
		mt == "application/javascript", mt == "application/x-sh", mt == "application/sql":
		return true
	}
	return textExtensions[strings.ToLower(path.Ext(name))]
}

func isImage(mimeType string) bool {
	switch strings.ToLower(mimeType) {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

type fileOut struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Size       int64  `json:"size"`
	Type       string `json:"type"`
	Created    string `json:"created,omitempty"`
	Author     string `json:"author,omitempty"`
	URL        string `json:"url"`
	Note       string `json:"note,omitempty"`
	Text       string `json:"text,omitempty"`
	Truncated  bool   `json:"truncated,omitempty"`
	NextOffset int    `json:"next_offset,omitempty"`
	Length     int    `json:"length,omitempty"`
}

// --- jira_get_attachment

type getAttachmentArgs struct {
	AttachmentID string `json:"attachment_id" jsonschema_description:"Attachment id, from jira_get_issue's attachments."`
	MaxChars     int    `json:"max_chars,omitempty" jsonschema_description:"Most characters of a text file to return (default 20000)."`
	Offset       int    `json:"offset,omitempty" jsonschema_description:"Byte offset into the text to continue from (next_offset)."`
}

func (s *Server) jiraGetAttachment() tool {
	return readTool("jira", "jira_get_attachment", "Read a Jira attachment",
		"Read a file attached to a Jira issue: text (logs, csv, code; the text of PDF, docx, xlsx, pptx) paged with max_chars/offset, images up to 1 MB as an image, else metadata and download URL.",
		func(ctx context.Context, a getAttachmentArgs) (*mcpgo.CallToolResult, error) {
			id := strings.TrimSpace(a.AttachmentID)
			if id == "" || strings.Trim(id, "0123456789") != "" {
				return nil, argError("attachment_id must be a number such as 10200 (got %q): see the attachments of jira_get_issue", quoteInput(a.AttachmentID))
			}
			maxChars, err := window("max_chars", a.MaxChars, defaultMaxChars, maxMaxChars, "offset", a.Offset)
			if err != nil {
				return nil, err
			}
			att, _, err := s.jira.Issues.Attachment(ctx, id)
			if err != nil {
				return nil, serverError(err, "attachment "+id, "")
			}
			out := fileOut{ID: id, Name: text(att.Filename), Size: att.Size, Type: text(att.MimeType),
				Created: stamp(att.Created), Author: userName(att.Author), URL: att.Content}
			return fileResult(ctx, s.jira.Client, out, att.MimeType, maxChars, a.Offset)
		})
}

// fileResult answers for an attachment described by out: a text file as text cut to maxChars
// from offset, a PDF or Office document as its extracted text cut the same way, an image as image
// content, anything else (or too large) as out with a note.
func fileResult(ctx context.Context, c *atlassian.Client, out fileOut, mimeType string, maxChars, offset int) (*mcpgo.CallToolResult, error) {
	textFile, image, doc := isTextFile(out.Name, mimeType), isImage(mimeType), extract.Kind(out.Name, mimeType)
	switch {
	case textFile && out.Size > maxTextAttachment:
		out.Note = "text file over 5 MB: not read; download it from url"
		return jsonResult(out)
	case doc != "" && out.Size > maxDocAttachment:
		out.Note = "document over 20 MB: not read; download it from url"
		return jsonResult(out)
	case image && out.Size > maxImageAttachment:
		out.Note = "image over 1 MB: not sent; download it from url"
		return jsonResult(out)
	case !textFile && !image && doc == "":
		out.Note = "not a text file, image, PDF or Office (docx, xlsx, pptx) document: download it from url"
		return jsonResult(out)
	}
	raw, err := c.Download(ctx, out.URL)
	if err != nil {
		return nil, serverError(err, "attachment "+out.ID, "")
	}
	if image {
		b, err := encode(out)
		if err != nil {
			return nil, err
		}
		return mcpgo.NewToolResultImage(string(b), base64.StdEncoding.EncodeToString(raw.Data), mimeType), nil
	}
	body := string(raw.Data)
	if doc != "" {
		var partial bool
		body, partial, err = extract.Text(ctx, doc, raw.Data, extract.DefaultLimits)
		switch {
		case errors.Is(err, extract.ErrEncrypted):
			out.Note = "encrypted " + doc + ": no text without its password; download it from url"
			return jsonResult(out)
		case errors.Is(err, extract.ErrTimeout):
			out.Note = "its text took too long to extract: download it from url"
			return jsonResult(out)
		case err != nil:
			out.Note = "its text could not be read (damaged, or not the " + doc + " its name says): download it from url"
			return jsonResult(out)
		case body == "":
			out.Note = "no text in this " + doc + " (scanned pages or images only?): download it from url"
			return jsonResult(out)
		case partial:
			out.Note = fmt.Sprintf("text extracted from the %s, up to its first %d MB", doc, extract.DefaultLimits.MaxText>>20)
		default:
			out.Note = "text extracted from the " + doc + ": layout and images are not kept"
		}
	} else if !utf8.ValidString(body) {
		out.Note = "not UTF-8 text: download it from url"
		return jsonResult(out)
	}
	b, err := cut(text(body), maxChars, offset)
	if err != nil {
		return nil, err
	}
	out.Text, out.Truncated, out.NextOffset, out.Length = b.Body, b.Truncated, b.NextOffset, b.Length
	return jsonResult(out)
}

// decodeUpload checks the filename and content_base64 of an upload of at most max bytes.
func decodeUpload(filename, content string, max int) (string, []byte, error) {
	name := strings.TrimSpace(filename)
	if name == "" || strings.ContainsAny(name, "/\\\x00") {
		return "", nil, argError("filename must be a plain file name such as report.csv (got %q)", quoteInput(filename))
	}
	if base64.StdEncoding.DecodedLen(len(content)) > max+3 {
		return "", nil, argError("content_base64 is over %d MB decoded: the size limit", max>>20)
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(content))
	if err != nil {
		return "", nil, argError("content_base64 is not base64 (standard alphabet, with padding): %v", err)
	}
	if len(data) == 0 {
		return "", nil, argError("content_base64 is empty: give the file's bytes, base64-encoded")
	}
	return name, data, nil
}

// --- jira_add_attachment

type addAttachmentArgs struct {
	IssueKey      string `json:"issue_key" jsonschema_description:"Issue key, e.g. OPS-123."`
	Filename      string `json:"filename" jsonschema_description:"File name with its extension, e.g. report.csv."`
	ContentBase64 string `json:"content_base64" jsonschema_description:"The file's bytes, base64-encoded (at most 10 MB decoded)."`
}

func (s *Server) jiraAddAttachment() tool {
	return writeTool("jira", "jira_add_attachment", "Attach a file to a Jira issue",
		"Attach a file to a Jira issue. Returns the attachment's id, name and size.",
		false, false,
		func(ctx context.Context, a addAttachmentArgs) (*mcpgo.CallToolResult, error) {
			name, data, err := decodeUpload(a.Filename, a.ContentBase64, maxUploadAttachment)
			if err != nil {
				return nil, err
			}
			key, err := s.checkIssue(ctx, a.IssueKey)
			if err != nil {
				return nil, err
			}
			added, _, err := s.jira.Issues.AddAttachment(ctx, key, name, data)
			if err != nil {
				return nil, serverError(err, "issue "+key, "Jira may limit the size or type of attachments")
			}
			if len(added) == 0 {
				return nil, fmt.Errorf("mcp: jira answered an upload with no attachment")
			}
			return jsonResult(struct {
				ID   string `json:"id"`
				Name string `json:"name"`
				Size int64  `json:"size"`
			}{added[0].ID, text(added[0].Filename), added[0].Size})
		})
}

// --- confluence_get_attachment

func (s *Server) confluenceGetAttachment() tool {
	return readTool("confluence", "confluence_get_attachment", "Read a Confluence attachment",
		"Read a file attached to a Confluence page (id from confluence_get_attachments) like jira_get_attachment: text, PDF and Office text paged, images up to 1 MB, else metadata and URL.",
		func(ctx context.Context, a getAttachmentArgs) (*mcpgo.CallToolResult, error) {
			id := strings.TrimPrefix(strings.TrimSpace(a.AttachmentID), "att")
			if err := checkPageID(id); err != nil {
				return nil, argError("attachment_id must be a number such as 65602 (got %q): see confluence_get_attachments", quoteInput(a.AttachmentID))
			}
			maxChars, err := window("max_chars", a.MaxChars, defaultMaxChars, maxMaxChars, "offset", a.Offset)
			if err != nil {
				return nil, err
			}
			c, _, err := s.conf.Content.Get(ctx, id, "space", "version", "container")
			if err != nil {
				return nil, serverError(err, "attachment "+id, "")
			}
			if c.Type != "attachment" {
				return nil, argError("%s is a %s, not an attachment: read it with confluence_get_page", id, c.Type)
			}
			if !s.spaces.allows(c.SpaceKey()) {
				return nil, s.spaces.refuse(fmt.Sprintf("attachment %s (space %s)", id, c.SpaceKey()))
			}
			out := fileOut{ID: id, Name: text(c.Title), URL: s.conf.AbsURL(c.Links.Download)}
			mimeType := ""
			if c.Extensions != nil {
				mimeType, out.Size = c.Extensions.MediaType, c.Extensions.FileSize
			}
			if mimeType == "" && c.Metadata != nil {
				mimeType = c.Metadata.MediaType
			}
			out.Type = text(mimeType)
			if c.Version != nil {
				out.Created = stamp(c.Version.When)
			}
			return fileResult(ctx, s.conf.Client, out, mimeType, maxChars, a.Offset)
		})
}

// --- confluence_add_attachment

// maxConfluenceUpload is the upload cap: Confluence's default limit is 100 MB, but the file comes
// through the model's context as base64, so the cap is Jira's 10 MB.
const maxConfluenceUpload = 10 << 20

type addPageAttachmentArgs struct {
	PageID        string `json:"page_id" jsonschema_description:"Page id, e.g. 65601."`
	Filename      string `json:"filename" jsonschema_description:"File name with its extension, e.g. report.csv (unique on the page)."`
	ContentBase64 string `json:"content_base64" jsonschema_description:"The file's bytes, base64-encoded (at most 10 MB decoded)."`
}

func (s *Server) confluenceAddAttachment() tool {
	return writeTool("confluence", "confluence_add_attachment", "Attach a file to a Confluence page",
		"Attach a file to a Confluence page. Returns the attachment's id, name and size.",
		false, false,
		func(ctx context.Context, a addPageAttachmentArgs) (*mcpgo.CallToolResult, error) {
			name, data, err := decodeUpload(a.Filename, a.ContentBase64, maxConfluenceUpload)
			if err != nil {
				return nil, err
			}
			if err := s.checkPageScope(ctx, a.PageID); err != nil {
				return nil, err
			}
			c, _, err := s.conf.Content.AddAttachment(ctx, a.PageID, name, data)
			if err != nil {
				return nil, serverError(err, "page "+a.PageID, "a file of that name may be attached already: see confluence_get_attachments")
			}
			return jsonResult(struct {
				ID   string `json:"id"`
				Name string `json:"name"`
				Size int    `json:"size"`
			}{string(c.ID), text(c.Title), len(data)})
		})
}
