package io.streamrag.query.generate;

import java.util.List;

/** The texts of the {@code n} choices of one request, and that request's usage (the prompt counted once). */
public class Choices {
    public final List<String> texts;
    public final long tokensIn;
    public final long tokensOut;
    public final int attempts;

    public Choices(List<String> texts, long tokensIn, long tokensOut, int attempts) {
        this.texts = texts;
        this.tokensIn = tokensIn;
        this.tokensOut = tokensOut;
        this.attempts = attempts;
    }
}
