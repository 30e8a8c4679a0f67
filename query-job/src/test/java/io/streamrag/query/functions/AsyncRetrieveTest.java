package io.streamrag.query.functions;

import org.junit.jupiter.api.Test;
import org.opensearch.client.opensearch._types.ErrorResponse;
import org.opensearch.client.opensearch._types.OpenSearchException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which retrieval errors are waited out until the question's deadline and which fail it at once. */
class AsyncRetrieveTest {

    private static OpenSearchException status(int status) {
        return new OpenSearchException(ErrorResponse.of(r -> r.status(status)
                .error(e -> e.type(status == 400 ? "search_phase_execution_exception" : "x").reason("r"))));
    }

    @Test
    void refusalsFailAtOnceOutagesAreRetried() {
        // As the async stage reports them: wrapped in a CompletionException.
        assertThat(AsyncRetrieve.permanent(new CompletionException(status(400)))).isTrue(); // e.g. too many clauses
        assertThat(AsyncRetrieve.permanent(new CompletionException(new IllegalArgumentException("text cannot be null or blank")))).isTrue();
        assertThat(AsyncRetrieve.permanent(new CompletionException(status(503)))).isFalse();
        assertThat(AsyncRetrieve.permanent(new CompletionException(status(429)))).isFalse();
        assertThat(AsyncRetrieve.permanent(new CompletionException(new UncheckedIOException(new ConnectException("refused"))))).isFalse();
        assertThat(AsyncRetrieve.permanent(new TimeoutException())).isFalse(); // a hanging search (orTimeout)
        assertThat(AsyncRetrieve.permanent(new IOException("reset"))).isFalse();
    }
}
