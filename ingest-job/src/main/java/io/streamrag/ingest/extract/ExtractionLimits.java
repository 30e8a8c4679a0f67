package io.streamrag.ingest.extract;

import io.streamrag.common.config.OptionChecks;
import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;
import java.time.Duration;

/**
 * The extraction knobs and limits ({@code ingest.limits.*}, {@code ingest.extract.*}) in one serialisable value, so
 * operators and tests share them; {@code from(new Configuration())} gives the options' defaults.
 *
 * @param maxImageBytes bytes of the images (PNGs of rendered pages and embedded images) kept per document
 * @param maxRenderPixels pixels of one rendered scanned page; larger pages are rendered at a lower DPI, down to
 *     {@code minRenderDpi}
 * @param pdfMaxMainMemory PDFBox stream cache: decoded streams beyond this spill to temp files ...
 * @param pdfMaxStorage ... and beyond this in total (memory + temp files) the document is refused
 * @param maxFormDepth form XObjects nested deeper than this (or in a cycle) refuse the document
 * @param collectImages false: no images are collected at all ({@code ingest.ocr.provider=none})
 * @param detectTables true: tables found on PDF pages become {@link io.streamrag.ingest.records.PageTable}s
 * @param maxTextBytes bytes of text/plain or text/markdown content; more is refused before it is decoded
 */
public record ExtractionLimits(int maxPages, int maxImages, long maxImageBytes, long maxImagePixels, long timeoutMillis,
                               int minImageSide, int minImageArea, int scanCharsPerPage, int renderDpi, long maxRenderPixels, int minRenderDpi,
                               long pdfMaxMainMemory, long pdfMaxStorage, int maxFormDepth, boolean collectImages,
                               boolean detectTables, long maxTextBytes) implements Serializable {

    public static ExtractionLimits from(Configuration conf) {
        return new ExtractionLimits(conf.get(IngestOptions.LIMITS_MAX_PAGES), conf.get(IngestOptions.LIMITS_MAX_IMAGES),
                conf.get(IngestOptions.LIMITS_MAX_IMAGE_BYTES).getBytes(),
                conf.get(IngestOptions.LIMITS_MAX_IMAGE_PIXELS),
                // 0 dead-lettered every PDF (ExtractionTimeout): its deadline was its start
                OptionChecks.atLeast(conf, IngestOptions.LIMITS_EXTRACT_TIMEOUT, Duration.ofMillis(1)).toMillis(),
                conf.get(IngestOptions.EXTRACT_MIN_IMAGE_SIDE), conf.get(IngestOptions.EXTRACT_MIN_IMAGE_AREA),
                conf.get(IngestOptions.EXTRACT_SCAN_CHARS_PER_PAGE), conf.get(IngestOptions.EXTRACT_RENDER_DPI),
                conf.get(IngestOptions.LIMITS_MAX_RENDER_PIXELS), conf.get(IngestOptions.LIMITS_MIN_RENDER_DPI),
                conf.get(IngestOptions.LIMITS_PDF_MAX_MAIN_MEMORY).getBytes(), conf.get(IngestOptions.LIMITS_PDF_MAX_STORAGE).getBytes(),
                conf.get(IngestOptions.LIMITS_MAX_FORM_DEPTH), conf.get(IngestOptions.OCR_PROVIDER) != IngestOptions.OcrProvider.NONE,
                conf.get(IngestOptions.EXTRACT_TABLES), conf.get(IngestOptions.LIMITS_MAX_TEXT_BYTES).getBytes());
    }
}
