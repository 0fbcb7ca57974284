//! Markdown (README and docs) → one document: headings, sections, code blocks, links, prose.
//!
//! One pass over pulldown-cmark's events collects everything; plain text is built by appending
//! to a few buffers, so the cost stays linear in the file (sections nest at most six deep).

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::Parsed;
use crate::model::{DocKind, Document, NodeId, Tree};
use crate::source::{FileId, Loc};

pub fn parse(kind: DocKind, file: FileId, text: &str) -> Parsed {
    let mut walk = Walk::default();
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        walk.event(event, range);
    }
    walk.finish();
    let mut tree = Tree::new();
    let root = walk.build(&mut tree, file, text.len());
    Parsed {
        duplicate_keys: Vec::new(),
        documents: vec![Document::new(kind, file, tree, root)],
        errors: Vec::new(),
    }
}

fn options() -> Options {
    // Front matter would otherwise read as a thematic break plus a setext heading.
    Options::ENABLE_TABLES
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
}

struct Heading {
    level: u8,
    text: String,
    range: Range<usize>,
}

struct Section {
    heading: usize,
    text: String,
    code: Vec<String>,
}

struct CodeBlock {
    lang: Option<String>,
    text: String,
    range: Range<usize>,
}

struct Link {
    url: String,
    text: String,
    range: Range<usize>,
}

/// Counts words across text events: a word split by inline markup (`foo**bar**`) counts once.
#[derive(Default)]
struct Words {
    count: i64,
    in_word: bool,
}

impl Words {
    fn feed(&mut self, text: &str) {
        for c in text.chars() {
            let word_char = !c.is_whitespace();
            if word_char && !self.in_word {
                self.count += 1;
            }
            self.in_word = word_char;
        }
    }

    fn stop(&mut self) {
        self.in_word = false;
    }
}

#[derive(Default)]
struct Walk {
    all: String,
    words: Words,
    headings: Vec<Heading>,
    heading: Option<Heading>,
    sections: Vec<Section>,
    /// Indices into `sections` still collecting text, outermost first.
    open: Vec<usize>,
    code_blocks: Vec<CodeBlock>,
    code: Option<CodeBlock>,
    links: Vec<Link>,
    /// Indices into `links` of the links being read (images nest inside links).
    link_stack: Vec<usize>,
    image_depth: usize,
    /// Metadata (front matter) and HTML are not prose.
    skip_depth: usize,
    intro: String,
    intro_loc: Option<Range<usize>>,
    intro_done: bool,
    /// Only badges (images) under the title so far: the first heading after them opens the
    /// description (`# Demo`, a badge wall, `## Welcome to the demo`, a paragraph).
    badges_only: bool,
    /// That heading, as an index into `headings`: rules tell `## Welcome` from `## Install`.
    intro_heading: Option<usize>,
    block: Range<usize>,
    /// Cells seen in the current table row, to put a space between cells but not before the first.
    cells: usize,
}

impl Walk {
    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag),
            Event::Text(text) | Event::Code(text) => self.text(&text),
            Event::SoftBreak | Event::HardBreak => self.text("\n"),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, range: Range<usize>) {
        match tag {
            Tag::Heading { level, .. } => self.open_heading(level, range),
            Tag::CodeBlock(kind) => {
                self.block_break();
                self.code = Some(CodeBlock {
                    lang: fence_lang(&kind),
                    text: String::new(),
                    range,
                });
            }
            Tag::Link { dest_url, .. } => {
                self.link_stack.push(self.links.len());
                self.links.push(Link {
                    url: dest_url.to_string(),
                    text: String::new(),
                    range,
                });
            }
            Tag::Image { .. } => {
                self.image_depth += 1;
                if self.heading.is_none() && !self.headings.is_empty() && self.intro_loc.is_none() {
                    self.badges_only = true;
                }
            }
            Tag::MetadataBlock(_) | Tag::HtmlBlock => self.skip_depth += 1,
            Tag::Paragraph | Tag::Item | Tag::TableHead | Tag::TableRow | Tag::BlockQuote(_) => {
                self.block_break();
                self.block = range;
                self.cells = 0;
            }
            Tag::TableCell => {
                if self.cells > 0 {
                    self.text(" ");
                }
                self.cells += 1;
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => self.close_heading(),
            TagEnd::CodeBlock => self.close_code(),
            TagEnd::Link => {
                self.link_stack.pop();
            }
            TagEnd::Image => self.image_depth = self.image_depth.saturating_sub(1),
            TagEnd::MetadataBlock(_) | TagEnd::HtmlBlock => {
                self.skip_depth = self.skip_depth.saturating_sub(1);
            }
            TagEnd::Paragraph
            | TagEnd::Item
            | TagEnd::TableHead
            | TagEnd::TableRow
            | TagEnd::BlockQuote(_) => self.block_break(),
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if self.skip_depth > 0 {
            return;
        }
        if let Some(link) = self.link_stack.last().and_then(|&i| self.links.get_mut(i)) {
            link.text.push_str(text);
        }
        // Image alt text (badges) is not prose a reader sees.
        if self.image_depth > 0 {
            return;
        }
        if let Some(code) = &mut self.code {
            code.text.push_str(text);
        } else if let Some(heading) = &mut self.heading {
            heading.text.push_str(text);
            self.words.feed(text);
        } else {
            self.words.feed(text);
            self.intro_text(text);
        }
        self.all.push_str(text);
        for &i in &self.open {
            if let Some(section) = self.sections.get_mut(i) {
                section.text.push_str(text);
            }
        }
    }

    fn intro_text(&mut self, text: &str) {
        if self.intro_done {
            return;
        }
        if self.intro_loc.is_none() && !text.trim().is_empty() {
            self.intro_loc = Some(self.block.clone());
        }
        if self.intro_loc.is_some() {
            self.intro.push_str(text);
        }
    }

    /// Ends the current line in every buffer so blocks never run together.
    fn block_break(&mut self) {
        self.words.stop();
        end_line(&mut self.all);
        end_line(&mut self.intro);
        for &i in &self.open {
            if let Some(section) = self.sections.get_mut(i) {
                end_line(&mut section.text);
            }
        }
    }

    fn open_heading(&mut self, level: HeadingLevel, range: Range<usize>) {
        self.block_break();
        let level = heading_level(level);
        // The intro is what follows the H1 title; any other heading ends it.
        let is_title = level == 1 && self.headings.is_empty();
        if !is_title {
            let after_badges = self.badges_only && self.intro_loc.is_none();
            self.badges_only = false;
            if after_badges {
                self.intro_heading = Some(self.headings.len());
            } else {
                self.intro_done = true;
            }
        }
        self.close_sections(level);
        self.heading = Some(Heading {
            level,
            text: String::new(),
            range,
        });
    }

    fn close_sections(&mut self, level: u8) {
        while let Some(&last) = self.open.last() {
            let last_level = self
                .sections
                .get(last)
                .and_then(|s| self.headings.get(s.heading))
                .map_or(0, |h| h.level);
            if last_level < level {
                break;
            }
            self.open.pop();
        }
    }

    fn close_heading(&mut self) {
        self.block_break();
        if let Some(heading) = self.heading.take() {
            self.open.push(self.sections.len());
            self.sections.push(Section {
                heading: self.headings.len(),
                text: String::new(),
                code: Vec::new(),
            });
            self.headings.push(heading);
        }
    }

    fn close_code(&mut self) {
        if let Some(mut code) = self.code.take() {
            trim_end_newlines(&mut code.text);
            for &i in &self.open {
                if let Some(section) = self.sections.get_mut(i) {
                    section.code.push(code.text.clone());
                }
            }
            self.code_blocks.push(code);
        }
        self.block_break();
    }

    fn finish(&mut self) {
        trim_end_newlines(&mut self.all);
        trim_end_newlines(&mut self.intro);
        for section in &mut self.sections {
            trim_end_newlines(&mut section.text);
        }
        for heading in &mut self.headings {
            heading.text = heading.text.trim().to_string();
        }
    }

    fn build(&self, tree: &mut Tree, file: FileId, len: usize) -> NodeId {
        let loc = |r: &Range<usize>| Some(Loc::new(file, r.start, r.end));
        let root = tree.map(Some(Loc::new(file, 0, len)));
        if let Some(title) = self.headings.iter().find(|h| h.level == 1) {
            let id = tree.str(title.text.as_str(), loc(&title.range));
            tree.insert(root, "title", id);
        }
        let headings = self.build_headings(tree, file);
        tree.insert(root, "headings", headings);
        let sections = self.build_sections(tree, file);
        tree.insert(root, "sections", sections);
        if let Some(range) = &self.intro_loc {
            let id = tree.str(self.intro.trim(), loc(range));
            tree.insert(root, "intro", id);
            // Counted here so rules compare a number instead of matching a long regex.
            let intro_words = self.intro.split_whitespace().count() as i64;
            let count = tree.int(intro_words, loc(range));
            tree.insert(root, "intro_words", count);
        }
        if let Some(h) = self.intro_heading.and_then(|i| self.headings.get(i)) {
            let id = tree.str(h.text.as_str(), loc(&h.range));
            tree.insert(root, "intro_heading", id);
        }
        let code_blocks = self.build_code_blocks(tree, file);
        tree.insert(root, "code_blocks", code_blocks);
        let links = self.build_links(tree, file);
        tree.insert(root, "links", links);
        let text = tree.str(self.all.as_str(), Some(Loc::new(file, 0, len)));
        tree.insert(root, "text", text);
        let words = tree.int(self.words.count, None);
        tree.insert(root, "words", words);
        root
    }

    fn build_headings(&self, tree: &mut Tree, file: FileId) -> NodeId {
        let seq = tree.seq(None);
        for h in &self.headings {
            let loc = Some(Loc::new(file, h.range.start, h.range.end));
            let item = tree.map(loc);
            let level = tree.int(i64::from(h.level), loc);
            tree.insert(item, "level", level);
            let text = tree.str(h.text.as_str(), loc);
            tree.insert(item, "text", text);
            tree.push(seq, item);
        }
        seq
    }

    fn build_sections(&self, tree: &mut Tree, file: FileId) -> NodeId {
        let seq = tree.seq(None);
        for s in &self.sections {
            let Some(h) = self.headings.get(s.heading) else {
                continue;
            };
            let loc = Some(Loc::new(file, h.range.start, h.range.end));
            let item = tree.map(loc);
            let level = tree.int(i64::from(h.level), loc);
            tree.insert(item, "level", level);
            let heading = tree.str(h.text.as_str(), loc);
            tree.insert(item, "heading", heading);
            let text = tree.str(s.text.as_str(), None);
            tree.insert(item, "text", text);
            let code = tree.seq(None);
            for block in &s.code {
                let id = tree.str(block.as_str(), None);
                tree.push(code, id);
            }
            tree.insert(item, "code", code);
            tree.push(seq, item);
        }
        seq
    }

    fn build_code_blocks(&self, tree: &mut Tree, file: FileId) -> NodeId {
        let seq = tree.seq(None);
        for c in &self.code_blocks {
            let loc = Some(Loc::new(file, c.range.start, c.range.end));
            let item = tree.map(loc);
            let lang = match &c.lang {
                Some(lang) => tree.str(lang.as_str(), loc),
                None => tree.null(loc),
            };
            tree.insert(item, "lang", lang);
            let text = tree.str(c.text.as_str(), loc);
            tree.insert(item, "text", text);
            tree.push(seq, item);
        }
        seq
    }

    fn build_links(&self, tree: &mut Tree, file: FileId) -> NodeId {
        let seq = tree.seq(None);
        for l in &self.links {
            let loc = Some(Loc::new(file, l.range.start, l.range.end));
            let item = tree.map(loc);
            let url = tree.str(l.url.as_str(), loc);
            tree.insert(item, "url", url);
            let text = tree.str(l.text.trim(), loc);
            tree.insert(item, "text", text);
            tree.push(seq, item);
        }
        seq
    }
}

/// The language of a fenced block: the info string's first word (` ```rust,ignore ` → `rust`).
fn fence_lang(kind: &CodeBlockKind<'_>) -> Option<String> {
    let CodeBlockKind::Fenced(info) = kind else {
        return None;
    };
    let lang = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or("");
    (!lang.is_empty()).then(|| lang.to_string())
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn end_line(buf: &mut String) {
    if !buf.is_empty() && !buf.ends_with('\n') {
        buf.push('\n');
    }
}

fn trim_end_newlines(buf: &mut String) {
    let len = buf.trim_end_matches('\n').len();
    buf.truncate(len);
}
