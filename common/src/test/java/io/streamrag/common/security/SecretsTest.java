package io.streamrag.common.security;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** URLs in messages lose what may be a credential: user info and query. */
class SecretsTest {

    @Test
    void everyUrlInATextIsMaskedTheRestKept() {
        assertThat(Secrets.maskedUrls("GET https://bucket.example/a.pdf?X-Amz-Signature=abc returned HTTP 403; "
                + "redirect to 'ftp://u:p@host/b?t=1' refused"))
                .isEqualTo("GET https://bucket.example/a.pdf?*** returned HTTP 403; redirect to 'ftp://***@host/b?***' refused");
        assertThat(Secrets.maskedUrls("No such file: file:///data/acme/a.pdf")).isEqualTo("No such file: file:///data/acme/a.pdf");
        assertThat(Secrets.maskedUrls(null)).isNull();
        // A long run of scheme characters without "://": the bounded scheme keeps the search linear.
        String letters = "a".repeat(200_000) + " b";
        assertThat(assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Secrets.maskedUrls(letters))).isEqualTo(letters);
    }
}
