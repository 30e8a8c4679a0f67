package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/** The extraction knobs and limits in one serialisable value, so operators and tests share them. */
public class ExtractionLimits implements Serializable {
    private static final long serialVersionUID = 1L;

    public int maxPages = 5000;
    public int maxImages = 300;
    public long maxImagePixels = 40_000_000L;
    public long timeoutMillis = 300_000L;
    public int minImageSide = 64;
    public int minImageArea = 16384;
    public int scanCharsPerPage = 32;
    public int renderDpi = 150;
    /** Pixels of one rendered scanned page; larger pages are rendered at a lower DPI, down to {@link #minRenderDpi}. */
    public long maxRenderPixels = 16_000_000L;
    public int minRenderDpi = 72;
    /** PDFBox stream cache: decoded streams beyond this spill to temp files ... */
    public long pdfMaxMainMemory = 32L * 1024 * 1024;
    /** ... and beyond this in total (memory + temp files) the document is refused. */
    public long pdfMaxStorage = 512L * 1024 * 1024;
    /** Form XObjects nested deeper than this (or in a cycle) refuse the document. */
    public int maxFormDepth = 32;
    /** When false, no images are collected at all (ocr.provider=none). */
    public boolean collectImages = true;
    /** When true, tables found on PDF pages become {@link io.streamrag.ingest.records.PageTable}s (ingest.extract.tables). */
    public boolean detectTables = true;

    public ExtractionLimits() {}

    public static ExtractionLimits from(Configuration conf) {
        ExtractionLimits l = new ExtractionLimits();
        l.maxPages = conf.get(IngestOptions.MAX_PAGES);
        l.maxImages = conf.get(IngestOptions.MAX_IMAGES);
        l.maxImagePixels = conf.get(IngestOptions.MAX_IMAGE_PIXELS);
        l.timeoutMillis = conf.get(IngestOptions.EXTRACT_TIMEOUT).toMillis();
        l.minImageSide = conf.get(IngestOptions.MIN_IMAGE_SIDE);
        l.minImageArea = conf.get(IngestOptions.MIN_IMAGE_AREA);
        l.scanCharsPerPage = conf.get(IngestOptions.SCAN_CHARS_PER_PAGE);
        l.renderDpi = conf.get(IngestOptions.RENDER_DPI);
        l.maxRenderPixels = conf.get(IngestOptions.MAX_RENDER_PIXELS);
        l.minRenderDpi = conf.get(IngestOptions.MIN_RENDER_DPI);
        l.pdfMaxMainMemory = conf.get(IngestOptions.PDF_MAX_MAIN_MEMORY).getBytes();
        l.pdfMaxStorage = conf.get(IngestOptions.PDF_MAX_STORAGE).getBytes();
        l.maxFormDepth = conf.get(IngestOptions.MAX_FORM_DEPTH);
        l.collectImages = conf.get(IngestOptions.OCR_PROVIDER) != IngestOptions.OcrProvider.NONE;
        l.detectTables = conf.get(IngestOptions.TABLES);
        return l;
    }
}
