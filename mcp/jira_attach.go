package mcp

import (
	"context"
	"encoding/base64"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// Limits of the attachment tools. Text is read whole and paged with max_chars, so its cap bounds
// memory, not the answer; an image goes to the model whole, so its cap bounds the answer.
const (
	maxTextAttachment   = 5 << 20
	maxImageAttachment  = 1 << 20
	maxUploadAttachment = 10 << 20 // Jira's default attachment size limit
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
		"Read a file attached to a Jira issue: text files (logs, csv, json, code…) as text paged with max_chars/offset, images (up to 1 MB) as an image, anything else as its name, size, type and download URL.",
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
			textFile, image := isTextFile(att.Filename, att.MimeType), isImage(att.MimeType)
			switch {
			case textFile && att.Size > maxTextAttachment:
				out.Note = "text file over 5 MB: not read; download it from url"
				return jsonResult(out)
			case image && att.Size > maxImageAttachment:
				out.Note = "image over 1 MB: not sent; download it from url"
				return jsonResult(out)
			case !textFile && !image:
				out.Note = "not a text file or image: download it from url"
				return jsonResult(out)
			}
			raw, err := s.jira.Download(ctx, att.Content)
			if err != nil {
				return nil, serverError(err, "attachment "+id, "")
			}
			if image {
				b, err := encode(out)
				if err != nil {
					return nil, err
				}
				return mcpgo.NewToolResultImage(string(b), base64.StdEncoding.EncodeToString(raw.Data), att.MimeType), nil
			}
			if !utf8.Valid(raw.Data) {
				out.Note = "not UTF-8 text: download it from url"
				return jsonResult(out)
			}
			b, err := cut(text(string(raw.Data)), maxChars, a.Offset)
			if err != nil {
				return nil, err
			}
			out.Text, out.Truncated, out.NextOffset, out.Length = b.Body, b.Truncated, b.NextOffset, b.Length
			return jsonResult(out)
		})
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
			name := strings.TrimSpace(a.Filename)
			if name == "" || strings.ContainsAny(name, "/\\\x00") {
				return nil, argError("filename must be a plain file name such as report.csv (got %q)", quoteInput(a.Filename))
			}
			if base64.StdEncoding.DecodedLen(len(a.ContentBase64)) > maxUploadAttachment+3 {
				return nil, argError("content_base64 is over 10 MB decoded: Jira's default limit")
			}
			data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(a.ContentBase64))
			if err != nil {
				return nil, argError("content_base64 is not base64 (standard alphabet, with padding): %v", err)
			}
			if len(data) == 0 {
				return nil, argError("content_base64 is empty: give the file's bytes, base64-encoded")
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
