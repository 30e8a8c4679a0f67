package io.streamrag.ingest.records;

import java.util.ArrayList;

/** A document's text per page and its images to be read, after extraction. */
public class ExtractedDocument {
    public DocumentTask task;
    public String contentType;
    public int pageCount;
    /** Title found in the content (PDF metadata), used when the event has none. */
    public String title;
    public ArrayList<PageText> pages = new ArrayList<>();
    public ArrayList<PageImage> images = new ArrayList<>();
    /** Tables found on the pages (their text is in {@link #pages} too), page order. */
    public ArrayList<PageTable> tables = new ArrayList<>();
    /** Images that were found but skipped (too small, duplicate, over the limit or undecodable). */
    public int imagesSkipped;
    /** Images whose text could not be read. */
    public int imagesFailed;
    /** Milliseconds spent reading this document's images so far. */
    public long ocrMillis;
    /** Set when reading the images went over a limit (names it): the document is dead-lettered LimitExceeded. */
    public String limitExceeded;

    public ExtractedDocument() {}

    public ExtractedDocument(DocumentTask task, String contentType) {
        this.task = task;
        this.contentType = contentType;
    }
}
