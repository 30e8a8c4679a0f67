package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.IngestOptions.OcrProvider;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;
import java.time.Duration;

/**
 * The image reader and its pool ({@code ingest.ocr.*}, {@code ingest.vision.*}, {@code ingest.limits.ocr-time-per-document}),
 * with {@code threads} and {@code capacity} resolved when the job is built.
 *
 * @param threads reader threads per TaskManager: {@code ingest.ocr.threads}, 0 resolved to the cores of this JVM
 * @param capacity images in flight per subtask: {@code ingest.ocr.capacity}, 0 resolved to 4 x threads (at least 8),
 *     since ordered output holds finished images behind a slow one
 */
public record OcrSettings(OcrProvider provider, String tesseractCommand, String language, Duration timeout,
                          String visionBaseUrl, String visionModel, String visionApiKeyEnv,
                          int threads, int capacity, long cacheBytes, Duration timePerDocument) implements Serializable {

    public static OcrSettings from(Configuration conf) {
        int threads = conf.get(IngestOptions.OCR_THREADS);
        threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        int capacity = conf.get(IngestOptions.OCR_CAPACITY);
        capacity = capacity > 0 ? capacity : Math.max(8, 4 * threads);
        return new OcrSettings(conf.get(IngestOptions.OCR_PROVIDER), conf.get(IngestOptions.OCR_TESSERACT_COMMAND),
                conf.get(IngestOptions.OCR_LANGUAGE), conf.get(IngestOptions.OCR_TIMEOUT), conf.get(IngestOptions.VISION_BASE_URL),
                conf.get(IngestOptions.VISION_MODEL), conf.get(IngestOptions.VISION_API_KEY_ENV), threads, capacity,
                conf.get(IngestOptions.OCR_CACHE_SIZE).getBytes(), conf.get(IngestOptions.LIMITS_OCR_TIME_PER_DOCUMENT));
    }
}
