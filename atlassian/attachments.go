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
// /rest/api/2/issue/{key}/attachments).
func (s *IssueService) AddAttachment(ctx context.Context, key, filename string, data []byte) ([]Attachment, *Response, error) {
	req, err := s.client.uploadRequest(ctx, "rest/api/2/issue/"+url.PathEscape(key)+"/attachments", filename, data)
	if err != nil {
		return nil, nil, err
	}
	var out []Attachment
	resp, err := s.client.Do(req, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, resp, nil
}

// AddAttachment uploads a file to a page or blog post as multipart/form-data (POST
// /rest/api/content/{id}/child/attachment) and returns the new attachment.
func (s *ContentService) AddAttachment(ctx context.Context, pageID, filename string, data []byte) (*Content, *Response, error) {
	req, err := s.client.uploadRequest(ctx, "rest/api/content/"+url.PathEscape(pageID)+"/child/attachment", filename, data)
	if err != nil {
		return nil, nil, err
	}
	var page ContentPage
	resp, err := s.client.Do(req, &page)
	if err != nil {
		return nil, nil, err
	}
	if len(page.Results) == 0 {
		return nil, nil, fmt.Errorf("confluence: upload of %q answered no attachment", filename)
	}
	return &page.Results[0], resp, nil
}

// uploadRequest is a POST of one file as the multipart field "file", the form both products
// take; the client's X-Atlassian-Token header passes their XSRF check.
func (c *Client) uploadRequest(ctx context.Context, path, filename string, data []byte) (*http.Request, error) {
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
		return nil, fmt.Errorf("%s: attachment %q: %w", c.product, filename, err)
	}
	req, err := c.NewRequest(ctx, http.MethodPost, path, nil, nil)
	if err != nil {
		return nil, err
	}
	body := b.Bytes()
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req, nil
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
