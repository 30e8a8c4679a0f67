package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/** The extraction knobs and limits in one serialisable value (defaults: the options'), so operators and tests share them. */
public class ExtractionLimits implements Serializable {
    private static final long serialVersionUID = 1L;

    public int maxPages = IngestOptions.LIMITS_MAX_PAGES.defaultValue();
    public int maxImages = IngestOptions.LIMITS_MAX_IMAGES.defaultValue();
    public long maxImagePixels = IngestOptions.LIMITS_MAX_IMAGE_PIXELS.defaultValue();
    public long timeoutMillis = IngestOptions.LIMITS_EXTRACT_TIMEOUT.defaultValue().toMillis();
    public int minImageSide = IngestOptions.EXTRACT_MIN_IMAGE_SIDE.defaultValue();
    public int minImageArea = IngestOptions.EXTRACT_MIN_IMAGE_AREA.defaultValue();
    public int scanCharsPerPage = IngestOptions.EXTRACT_SCAN_CHARS_PER_PAGE.defaultValue();
    public int renderDpi = IngestOptions.EXTRACT_RENDER_DPI.defaultValue();
    /** Pixels of one rendered scanned page; larger pages are rendered at a lower DPI, down to {@link #minRenderDpi}. */
    public long maxRenderPixels = IngestOptions.LIMITS_MAX_RENDER_PIXELS.defaultValue();
    public int minRenderDpi = IngestOptions.LIMITS_MIN_RENDER_DPI.defaultValue();
    /** PDFBox stream cache: decoded streams beyond this spill to temp files ... */
    public long pdfMaxMainMemory = IngestOptions.LIMITS_PDF_MAX_MAIN_MEMORY.defaultValue().getBytes();
    /** ... and beyond this in total (memory + temp files) the document is refused. */
    public long pdfMaxStorage = IngestOptions.LIMITS_PDF_MAX_STORAGE.defaultValue().getBytes();
    /** Form XObjects nested deeper than this (or in a cycle) refuse the document. */
    public int maxFormDepth = IngestOptions.LIMITS_MAX_FORM_DEPTH.defaultValue();
    /** When false, no images are collected at all (ingest.ocr.provider=none). */
    public boolean collectImages = true;
    /** When true, tables found on PDF pages become {@link io.streamrag.ingest.records.PageTable}s (ingest.extract.tables). */
    public boolean detectTables = true;

    public ExtractionLimits() {}

    public static ExtractionLimits from(Configuration conf) {
        ExtractionLimits l = new ExtractionLimits();
        l.maxPages = conf.get(IngestOptions.LIMITS_MAX_PAGES);
        l.maxImages = conf.get(IngestOptions.LIMITS_MAX_IMAGES);
        l.maxImagePixels = conf.get(IngestOptions.LIMITS_MAX_IMAGE_PIXELS);
        l.timeoutMillis = conf.get(IngestOptions.LIMITS_EXTRACT_TIMEOUT).toMillis();
        l.minImageSide = conf.get(IngestOptions.EXTRACT_MIN_IMAGE_SIDE);
        l.minImageArea = conf.get(IngestOptions.EXTRACT_MIN_IMAGE_AREA);
        l.scanCharsPerPage = conf.get(IngestOptions.EXTRACT_SCAN_CHARS_PER_PAGE);
        l.renderDpi = conf.get(IngestOptions.EXTRACT_RENDER_DPI);
        l.maxRenderPixels = conf.get(IngestOptions.LIMITS_MAX_RENDER_PIXELS);
        l.minRenderDpi = conf.get(IngestOptions.LIMITS_MIN_RENDER_DPI);
        l.pdfMaxMainMemory = conf.get(IngestOptions.LIMITS_PDF_MAX_MAIN_MEMORY).getBytes();
        l.pdfMaxStorage = conf.get(IngestOptions.LIMITS_PDF_MAX_STORAGE).getBytes();
        l.maxFormDepth = conf.get(IngestOptions.LIMITS_MAX_FORM_DEPTH);
        l.collectImages = conf.get(IngestOptions.OCR_PROVIDER) != IngestOptions.OcrProvider.NONE;
        l.detectTables = conf.get(IngestOptions.EXTRACT_TABLES);
        return l;
    }
}
