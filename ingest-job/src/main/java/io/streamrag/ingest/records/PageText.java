package io.streamrag.ingest.records;

/** The text layer of one page (1-based); headings are marked Markdown-style with leading {@code #}. */
public class PageText {
    public int page;
    public String text;

    public PageText() {}

    public PageText(int page, String text) {
        this.page = page;
        this.text = text;
    }
}
