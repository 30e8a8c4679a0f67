package io.streamrag.ingest.extract;

/** Reads the text in one image (OCR or a vision model); implementations are thread-safe. */
public interface ImageTextReader extends AutoCloseable {

    /** The text in the image, possibly empty; throws when the image could not be read. */
    String read(byte[] imageBytes) throws Exception;

    @Override
    default void close() {}

    /** The reader {@code ingest.ocr.provider} asks for, or null for {@code none}. */
    static ImageTextReader create(OcrSettings settings) {
        switch (settings.provider()) {
            case TESSERACT:
                return new TesseractReader(settings.tesseractCommand(), settings.language(), settings.timeout());
            case VISION:
                return VisionReader.create(settings);
            default:
                return null;
        }
    }
}
