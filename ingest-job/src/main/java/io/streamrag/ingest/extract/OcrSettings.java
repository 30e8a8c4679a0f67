package io.streamrag.ingest.extract;

import io.streamrag.common.config.OptionChecks;
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

    /**
     * Read when the job is built, and checked: the vision model's URL and name (before, their absence failed the OCR
     * operator's {@code open()} at every restart) and the time limits (0 made every read time out: no image's text).
     */
    public static OcrSettings from(Configuration conf) {
        int threads = conf.get(IngestOptions.OCR_THREADS);
        threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        int capacity = conf.get(IngestOptions.OCR_CAPACITY);
        capacity = capacity > 0 ? capacity : Math.max(8, 4 * threads);
        OcrProvider provider = conf.get(IngestOptions.OCR_PROVIDER);
        if (provider == OcrProvider.VISION) {
            String model = conf.get(IngestOptions.VISION_MODEL);
            if (conf.get(IngestOptions.VISION_BASE_URL) == null || model == null || model.isBlank()) {
                throw new IllegalArgumentException(visionNeeds());
            }
            OptionChecks.httpUrl(conf, IngestOptions.VISION_BASE_URL, "for " + IngestOptions.OCR_PROVIDER.key() + "=vision");
        }
        return new OcrSettings(provider, conf.get(IngestOptions.OCR_TESSERACT_COMMAND), conf.get(IngestOptions.OCR_LANGUAGE),
                OptionChecks.atLeast(conf, IngestOptions.OCR_TIMEOUT, Duration.ofMillis(1)), conf.get(IngestOptions.VISION_BASE_URL),
                conf.get(IngestOptions.VISION_MODEL), conf.get(IngestOptions.VISION_API_KEY_ENV), threads, capacity,
                conf.get(IngestOptions.OCR_CACHE_SIZE).getBytes(),
                OptionChecks.atLeast(conf, IngestOptions.LIMITS_OCR_TIME_PER_DOCUMENT, Duration.ofMillis(1)));
    }

    /** What {@code ingest.ocr.provider=vision} needs. */
    static String visionNeeds() {
        return IngestOptions.OCR_PROVIDER.key() + "=vision needs " + IngestOptions.VISION_BASE_URL.key() + " and "
                + IngestOptions.VISION_MODEL.key();
    }
}
