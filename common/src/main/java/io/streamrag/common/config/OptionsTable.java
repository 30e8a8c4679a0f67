package io.streamrag.common.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.description.Formatter;
import org.apache.flink.configuration.description.TextElement;
import org.apache.flink.util.TimeUtils;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The Markdown option table of an options class (key, type, default, description, old keys), generated from its
 * {@code ConfigOption}s; a README keeps it between {@link #BEGIN} and {@link #END}, and a test compares the two.
 */
public final class OptionsTable {

    public static final String BEGIN = "<!-- options:begin (generated from the ConfigOptions: bin/rag options --markdown) -->";
    public static final String END = "<!-- options:end -->";

    private OptionsTable() {}

    /** The table of every {@code public static final ConfigOption} of {@code holders}, in declaration order. */
    public static String markdown(Class<?>... holders) {
        StringBuilder out = new StringBuilder("| Key | Type | Default | Description |\n|---|---|---|---|\n");
        for (Class<?> holder : holders) {
            for (Field f : holder.getFields()) {
                int m = f.getModifiers();
                if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || !ConfigOption.class.isAssignableFrom(f.getType())) {
                    continue;
                }
                ConfigOption<?> option;
                try {
                    option = (ConfigOption<?>) f.get(null);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
                out.append("| `").append(option.key()).append("` | ").append(type(f.getGenericType()))
                        .append(" | ").append(defaultValue(option))
                        .append(" | ").append(cell(description(option))).append(" |\n");
            }
        }
        return out.toString();
    }

    /** The generated section of {@code readme} (between the markers, without them), or null when it has none. */
    public static String section(String readme) {
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        if (begin < 0 || end < begin) {
            return null;
        }
        return readme.substring(begin + BEGIN.length(), end).strip() + "\n";
    }

    /** {@code readme} with its generated section replaced by {@code table}. */
    public static String replaceSection(String readme, String table) {
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("no " + BEGIN + " ... " + END + " section");
        }
        return readme.substring(0, begin + BEGIN.length()) + "\n" + table + readme.substring(end);
    }

    /** The type as the table shows it: {@code Duration}, {@code List<String>}, an enum's values. */
    static String type(Type fieldType) {
        Type t = ((ParameterizedType) fieldType).getActualTypeArguments()[0];
        if (t instanceof ParameterizedType) {
            ParameterizedType p = (ParameterizedType) t;
            return ((Class<?>) p.getRawType()).getSimpleName() + "&lt;" + Arrays.stream(p.getActualTypeArguments())
                    .map(a -> ((Class<?>) a).getSimpleName()).collect(Collectors.joining(", ")) + "&gt;";
        }
        Class<?> c = (Class<?>) t;
        if (c.isEnum()) {
            return "enum: " + Arrays.stream(c.getEnumConstants()).map(e -> "`" + e + "`").collect(Collectors.joining(", "));
        }
        return c.getSimpleName();
    }

    /** The default in a cell: {@code `10 s`}, {@code (empty)} or {@code (none)}. */
    private static String defaultValue(ConfigOption<?> option) {
        if (!option.hasDefaultValue() || option.defaultValue() == null) {
            return "(none)";
        }
        String v = value(option.defaultValue());
        return v.isEmpty() ? "(empty)" : "`" + cell(v) + "`";
    }

    /** A value the way it is written in a configuration: {@code 10 s}, {@code 64 mb}, {@code a;b}. */
    static String value(Object v) {
        if (v instanceof Duration) {
            return TimeUtils.formatWithHighestUnit((Duration) v);
        }
        if (v instanceof MemorySize) {
            return ((MemorySize) v).toHumanReadableString().replaceAll(" \\(.*\\)$", "");
        }
        if (v instanceof List) {
            return ((List<?>) v).stream().map(OptionsTable::value).collect(Collectors.joining(";"));
        }
        return String.valueOf(v);
    }

    /** The description, then the fallback and deprecated keys still read. */
    private static String description(ConfigOption<?> option) {
        String text = new PlainText().format(option.description());
        List<String> old = new ArrayList<>();
        for (FallbackKey k : option.fallbackKeys()) {
            old.add("`" + k.getKey() + "`");
        }
        return old.isEmpty() ? text : text + " Also read from " + String.join(", ", old) + ".";
    }

    /** One table cell: one line, pipes escaped. */
    private static String cell(String text) {
        return text.replace("\r", "").replace("\n", " ").replace("|", "\\|").replace("<", "&lt;").strip();
    }

    /** Flink's description elements as plain text. */
    private static final class PlainText extends Formatter {
        @Override
        protected void formatLink(StringBuilder state, String link, String description) {
            state.append(description).append(" (").append(link).append(')');
        }

        @Override
        protected void formatLineBreak(StringBuilder state) {
            state.append(' ');
        }

        @Override
        protected void formatText(StringBuilder state, String format, String[] elements,
                EnumSet<TextElement.TextStyle> styles) {
            state.append(String.format(format, (Object[]) elements));
        }

        @Override
        protected void formatList(StringBuilder state, String[] entries) {
            state.append(String.join("; ", entries));
        }

        @Override
        protected Formatter newInstance() {
            return new PlainText();
        }
    }
}
