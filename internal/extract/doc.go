// Package extract turns the documents people attach to issues and pages
// (PDF; Word, Excel and PowerPoint files in their OOXML form) into plain
// text for the model.
//
// The input comes from any user of the servers, so every reader is bounded:
// a cap on the text it returns, on the bytes it inflates, on pages, and on
// time; a malformed or hostile file is an error (ErrMalformed, ErrTimeout),
// never a panic, a hang or a heap filled. Office files are zip archives of
// XML read with the standard library; PDFs go through
// github.com/ledongthuc/pdf, with our own text layout on top (see
// BENCHMARKS.md, "Attachment text", for the choice and its figures).
package extract
