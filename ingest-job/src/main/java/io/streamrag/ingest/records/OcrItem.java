package io.streamrag.ingest.records;

/**
 * What flows through OCR: either a document without its image bytes (first), or one of its images (then, in order).
 * Images travel as their own records so the asynchronous OCR operator's checkpointed queue holds at most
 * {@code ingest.ocr.capacity} images, not whole documents with all their pictures.
 */
public class OcrItem {
    /** The document, its images' bytes removed; null for an image item. */
    public ExtractedDocument document;
    public String documentId;
    /** The document's identity (tenant + documentId, {@code DocumentTask.key()}): the assembler's key. */
    public String documentKey;
    /** The document's tenant: part of the OCR cache key, so tenants never share read text. */
    public String tenant;
    public long version;
    /** The document event's {@code DocumentTask.sequence} (0 = unknown): tells two events of one version apart. */
    public long sequence;
    /** Image items: position in the document's image list, and how many it has. */
    public int index;
    public int count;
    /** Image items: PNG or JPEG bytes until read. */
    public byte[] bytes;
    /** Image items: text read, or null when reading failed or was skipped. */
    public String text;
    public boolean failed;
    /** Set when the document's OCR time budget was used up before this image: names the limit. */
    public String limitExceeded;
    public long ocrMillis;

    public OcrItem() {}

    public boolean isDocument() {
        return document != null;
    }

    /** A new item for image {@code index} of this item's document: its identity and image count, no bytes or text yet. */
    public OcrItem image(int index) {
        OcrItem image = new OcrItem();
        image.documentId = documentId;
        image.documentKey = documentKey;
        image.tenant = tenant;
        image.version = version;
        image.sequence = sequence;
        image.index = index;
        image.count = count;
        return image;
    }
}
