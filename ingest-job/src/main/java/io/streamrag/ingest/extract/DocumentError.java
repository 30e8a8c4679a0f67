package io.streamrag.ingest.extract;

/**
 * Why a document was dead-lettered: its {@link #code()} is the short machine-readable {@code error} of
 * {@code documents.dlq} and {@code documents.outcomes} (docs/CONTRACT.md), unchanged from the strings used before.
 */
public enum DocumentError {
    // parse and validate, admit
    INVALID_JSON("InvalidJson"),
    INVALID_EVENT("InvalidEvent"),
    MISSING_FIELD("MissingField"),
    INVALID_FIELD("InvalidField"),
    MISSING_CONTENT("MissingContent"),
    UNSUPPORTED_CONTENT_TYPE("UnsupportedContentType"),
    /** Its tenant already had {@code ingest.tenant.max-waiting} documents (or {@code max-waiting-bytes}) waiting for its rate. */
    TENANT_OVER_RATE("TenantOverRate"),
    // fetch
    FORBIDDEN("Forbidden"),
    INVALID_URI("InvalidUri"),
    INVALID_CONTENT("InvalidContent"),
    NOT_FOUND("NotFound"),
    FETCH_FAILED("FetchFailed"),
    TIMEOUT("Timeout"),
    TOO_MANY_REDIRECTS("TooManyRedirects"),
    EMPTY_CONTENT("EmptyContent"),
    // extract (and any stage that enforces a limit)
    LIMIT_EXCEEDED("LimitExceeded"),
    CORRUPT_DOCUMENT("CorruptDocument"),
    ENCRYPTED_DOCUMENT("EncryptedDocument"),
    EXTRACTION_TIMEOUT("ExtractionTimeout"),
    NO_TEXT("NoText"),
    // embed, index, quarantine
    EMBEDDING_FAILED("EmbeddingFailed"),
    INDEXING_FAILED("IndexingFailed"),
    POISON_DOCUMENT("PoisonDocument");

    private final String code;

    DocumentError(String code) {
        this.code = code;
    }

    /** The {@code error} written to the dead letter and the outcome, e.g. {@code LimitExceeded}. */
    public String code() {
        return code;
    }

    /**
     * {@code error} itself when it is one of these codes, else {@code Other} (a code of another release, restored
     * from state): what per-code metrics are named by, so their number stays that of this enum.
     */
    public static String knownCode(String error) {
        for (DocumentError e : values()) {
            if (e.code.equals(error)) {
                return error;
            }
        }
        return "Other";
    }

    @Override
    public String toString() {
        return code;
    }
}
