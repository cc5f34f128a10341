package atlassian

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// RawBody receives an answer as it is, for Do, instead of decoding JSON: a file's bytes and its
// Content-Type.
type RawBody struct {
	Data []byte
	Type string
}

// Attachment is a file attached to a Jira issue.
type Attachment struct {
	ID       string    `json:"id"`
	Filename string    `json:"filename"`
	Size     int64     `json:"size"`
	MimeType string    `json:"mimeType"`
	Created  Time      `json:"created"`
	Author   *JiraUser `json:"author,omitempty"`
	Content  string    `json:"content"` // the download URL
}

// Attachment reads an attachment's metadata (GET /rest/api/2/attachment/{id}).
func (s *IssueService) Attachment(ctx context.Context, id string) (*Attachment, *Response, error) {
	return getJSON[Attachment](ctx, (*service)(s), "rest/api/2/attachment/"+url.PathEscape(id), nil)
}

// AddAttachment uploads a file to an issue as multipart/form-data (POST
// /rest/api/2/issue/{key}/attachments; the client's X-Atlassian-Token header passes Jira's XSRF
// check).
func (s *IssueService) AddAttachment(ctx context.Context, key, filename string, data []byte) ([]Attachment, *Response, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", filename)
	if err == nil {
		_, err = fw.Write(data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("jira: attachment %q: %w", filename, err)
	}
	req, err := s.client.NewRequest(ctx, http.MethodPost, "rest/api/2/issue/"+url.PathEscape(key)+"/attachments", nil, nil)
	if err != nil {
		return nil, nil, err
	}
	body := b.Bytes()
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var out []Attachment
	resp, err := s.client.Do(req, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, resp, nil
}

// Download reads a file the server links to, such as an attachment's content URL. A link to
// another host or outside the base URL is refused: the credentials go only to the server.
func (c *Client) Download(ctx context.Context, link string) (*RawBody, error) {
	base := c.BaseURL() + "/"
	abs := c.AbsURL(link)
	if !strings.HasPrefix(abs, base) {
		return nil, fmt.Errorf("%s: download %q: not a link of %s", c.product, link, c.BaseURL())
	}
	u, err := url.Parse(strings.TrimPrefix(abs, base))
	if err != nil {
		return nil, fmt.Errorf("%s: download %q: %w", c.product, link, err)
	}
	req, err := c.NewRequest(ctx, http.MethodGet, u.EscapedPath(), u.Query(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "*/*")
	var raw RawBody
	if _, err := c.Do(req, &raw); err != nil {
		return nil, err
	}
	return &raw, nil
}
