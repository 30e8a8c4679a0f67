package io.streamrag.common.embedding;

import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.NonRetriableException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.exception.UnresolvedModelServerException;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Sorts what a remote embedding provider (OPENAI, OLLAMA) throws: worth retrying, the input's fault, or the setup's. */
public final class EmbeddingErrors {

    /** What an error says about the call that threw it. */
    public enum Kind {
        /** The provider is unreachable, slow or overloaded (I/O, timeout, HTTP 408, 429, 5xx): the same call can succeed later. */
        TRANSIENT,
        /** The provider refused this input (another 4xx, e.g. too long or filtered), or the error is unknown: retrying it will not help. */
        INPUT,
        /** Neither the input nor a passing outage: wrong key (401/403), unknown model (404), or the thread was interrupted. */
        FATAL
    }

    private EmbeddingErrors() {}

    /**
     * The kind of {@code error}, from the first of it and its causes that says: langchain4j maps HTTP statuses to its own
     * exceptions (with the {@link HttpException} as cause), and its JDK client wraps a refused connection's
     * {@code ConnectException} in a plain RuntimeException.
     */
    public static Kind classify(Throwable error) {
        int depth = 0;
        for (Throwable t = error; t != null && depth < 32; t = t.getCause(), depth++) {
            if (t instanceof InterruptedException) {
                return Kind.FATAL;                  // cancelled: neither retry nor blame the documents
            }
            if (t instanceof AuthenticationException || t instanceof ModelNotFoundException) {
                return Kind.FATAL;
            }
            if (t instanceof UnresolvedModelServerException) {
                return Kind.TRANSIENT;              // DNS: a restarting service's name can be gone for a moment
            }
            if (t instanceof RetriableException) {
                return Kind.TRANSIENT;              // TimeoutException, RateLimitException, InternalServerException
            }
            if (t instanceof HttpException) {
                return ofStatus(((HttpException) t).statusCode());
            }
            if (t instanceof NonRetriableException) {
                return Kind.INPUT;                  // InvalidRequestException, ContentFilteredException
            }
            if (t instanceof IOException || t instanceof UncheckedIOException || t instanceof java.util.concurrent.TimeoutException) {
                return Kind.TRANSIENT;              // refused or reset connection, HttpTimeoutException
            }
        }
        return Kind.INPUT;                          // unknown: dead-lettered per document, as before
    }

    /** The kind of an HTTP error status. */
    public static Kind ofStatus(int status) {
        if (status == 408 || status == 429 || status >= 500) {
            return Kind.TRANSIENT;
        }
        if (status == 401 || status == 403 || status == 404) {
            return Kind.FATAL;
        }
        return Kind.INPUT;
    }
}
