package io.streamrag.query.generate;

/** The strategies a question may ask for (its {@code strategy} field, {@code query.strategy}); the one list of them. */
public enum StrategyName {
    /** One prompt with the retrieved chunks. */
    RAG,
    /** RAG with in-context demonstrations. */
    DRAG,
    /** DRAG with follow-up questions, each with its own retrieval. */
    ITERDRAG;

    /**
     * Whether all of a question's candidates share one prompt, so one request with OpenAI's {@code n} can stand for
     * several; ITERDRAG's candidates each decompose and retrieve on their own.
     */
    public boolean singlePrompt() {
        return this != ITERDRAG;
    }

    /** The strategy named {@code name} (any case, surrounding blanks ignored), or null when there is none of that name. */
    public static StrategyName parse(String name) {
        for (StrategyName s : values()) {
            if (s.name().equalsIgnoreCase(name.strip())) {
                return s;
            }
        }
        return null;
    }

    /** "RAG, DRAG or ITERDRAG". */
    public static String choices() {
        StringBuilder sb = new StringBuilder();
        StrategyName[] all = values();
        for (int i = 0; i < all.length; i++) {
            sb.append(i == 0 ? "" : i == all.length - 1 ? " or " : ", ").append(all[i].name());
        }
        return sb.toString();
    }
}
