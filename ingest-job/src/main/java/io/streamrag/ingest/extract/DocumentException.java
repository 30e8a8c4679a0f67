package io.streamrag.ingest.extract;

/** A document-level failure with a short machine-readable error class that ends up in the dead letter. */
public class DocumentException extends Exception {
    private final DocumentError error;

    public DocumentException(DocumentError error, String message) {
        super(message);
        this.error = error;
    }

    public DocumentException(DocumentError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    /** E.g. {@link DocumentError#ENCRYPTED_DOCUMENT}, {@link DocumentError#LIMIT_EXCEEDED}. */
    public DocumentError error() {
        return error;
    }
}
