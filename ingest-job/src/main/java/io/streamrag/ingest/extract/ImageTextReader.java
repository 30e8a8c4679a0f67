package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;

/** Reads the text in one image (OCR or a vision model); implementations are thread-safe. */
public interface ImageTextReader extends AutoCloseable {

    /** The text in the image, possibly empty; throws when the image could not be read. */
    String read(byte[] imageBytes) throws Exception;

    @Override
    default void close() {}

    /** The reader {@code ingest.ocr.provider} asks for, or null for {@code none}. */
    static ImageTextReader create(Configuration conf) {
        switch (conf.get(IngestOptions.OCR_PROVIDER)) {
            case TESSERACT:
                return new TesseractReader(conf.get(IngestOptions.OCR_TESSERACT_COMMAND), conf.get(IngestOptions.OCR_LANGUAGE),
                        conf.get(IngestOptions.OCR_TIMEOUT));
            case VISION:
                return VisionReader.create(conf);
            default:
                return null;
        }
    }
}
