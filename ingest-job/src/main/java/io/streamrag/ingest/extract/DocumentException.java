package io.streamrag.ingest.extract;

/** A document-level failure with a short machine-readable error class that ends up in the dead letter. */
public class DocumentException extends Exception {
    private final String error;

    public DocumentException(String error, String message) {
        super(message);
        this.error = error;
    }

    public DocumentException(String error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    /** E.g. {@code EncryptedDocument}, {@code CorruptDocument}, {@code LimitExceeded}. */
    public String error() {
        return error;
    }
}
