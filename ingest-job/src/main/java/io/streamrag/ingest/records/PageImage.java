package io.streamrag.ingest.records;

/** An image worth reading on one page: an embedded picture, a rendered scanned page or a standalone image. */
public class PageImage {
    public static final String EMBEDDED = "embedded";
    public static final String SCANNED_PAGE = "scan";
    public static final String STANDALONE = "standalone";

    public int page;
    /** PNG or JPEG bytes, dropped once the text has been read. */
    public byte[] bytes;
    public String source;
    public int width;
    public int height;
    /** Text read from the image (OCR or vision model); null until read or when reading failed. */
    public String text;

    public PageImage() {}

    public PageImage(int page, byte[] bytes, String source, int width, int height) {
        this.page = page;
        this.bytes = bytes;
        this.source = source;
        this.width = width;
        this.height = height;
    }
}
