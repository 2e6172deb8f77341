package dev.pgbroadcaster.sample;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every {@code ```java} block of the README compiles as pasted, against what a user of the starter has: the starter,
 * Actuator, Spring's web and test support, Testcontainers (this module's test classpath).
 * <p>
 * Blocks are compiled one by one, in the order a reader meets them, each with the classes of the blocks before it on
 * the classpath, so a later block may use a type an earlier one declared. A block that leaves some names to the
 * reader's application is preceded by a line {@code <!-- java: assumes name, name -->}: only "cannot find symbol"
 * errors for exactly those names are tolerated in it, so its imports and everything else are still checked.
 */
class ReadmeSnippetsTests {

    private static final Pattern BLOCK = Pattern.compile("(?:<!-- java: assumes ([^>]*?) -->\\s*\\n)?```java\\n(.*?)\\n```",
            Pattern.DOTALL);

    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);

    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "^public\\s+(?:final\\s+|abstract\\s+|sealed\\s+)*(?:class|record|interface|enum)\\s+(\\w+)", Pattern.MULTILINE);

    private static final Pattern ANY_TYPE = Pattern.compile(
            "^(?:\\w+\\s+)*(?:class|record|interface|enum)\\s+(\\w+)", Pattern.MULTILINE);

    private static final Pattern MISSING_SYMBOL = Pattern.compile("symbol:\\s+\\w+\\s+(\\w+)");

    @TempDir
    Path output;

    @Test
    void everyJavaBlockCompiles() throws IOException {
        List<Snippet> snippets = snippets(Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8));
        assertThat(snippets).as("```java blocks in README.md").hasSizeGreaterThanOrEqualTo(5);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < snippets.size(); i++) {
            String problem = compile(snippets.get(i), this.output.resolve("block-" + i));
            if (problem != null) {
                failures.add(problem);
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " README snippet(s) do not compile:\n\n" + String.join("\n\n", failures));
        }
    }

    @Test
    void aBlockThatDoesNotCompileIsReportedWithItsFirstLineAndTheDiagnostics() throws IOException {
        Snippet broken = new Snippet(1, "class Broken {\n    void on(ChangeNotification change) { }\n}", Set.of());
        assertThat(compile(broken, this.output.resolve("broken"))).startsWith("README.md line 1: class Broken {")
            .contains("cannot find symbol")
            .contains("ChangeNotification");
    }

    @Test
    void anAssumedNameIsToleratedButNoOther() throws IOException {
        String source = "class Fragment {\n    void run() {\n        reloadAll();\n        reload();\n    }\n}";
        assertThat(compile(new Snippet(1, source, Set.of("reloadAll", "reload")), this.output.resolve("assumed"))).isNull();
        assertThat(compile(new Snippet(1, source, Set.of("reloadAll")), this.output.resolve("unassumed")))
            .contains("reload()");
    }

    private static List<Snippet> snippets(String readme) {
        List<Snippet> snippets = new ArrayList<>();
        Matcher block = BLOCK.matcher(readme);
        while (block.find()) {
            Set<String> assumed = (block.group(1) != null) ? Set.of(block.group(1).trim().split("\\s*,\\s*")) : Set.of();
            int line = (int) readme.substring(0, block.start(2)).lines().count() + 1;
            snippets.add(new Snippet(line, block.group(2), assumed));
        }
        return snippets;
    }

    /**
     * Compiles {@code snippet} into {@code directory}, with the blocks compiled before it on the classpath.
     * @return {@code null} when it compiles, else its first line and the compiler's diagnostics
     */
    private String compile(Snippet snippet, Path directory) throws IOException {
        Files.createDirectories(directory);
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<String> options = List.of("-classpath", classpath(), "-d", directory.toString(), "-proc:none",
                "-Xlint:none", "-nowarn", "--release", "17");
        StringWriter out = new StringWriter();
        compiler.getTask(out, null, diagnostics, options, null, List.of(new Source(snippet.code()))).call();
        List<String> errors = diagnostics.getDiagnostics()
            .stream()
            .filter((diagnostic) -> diagnostic.getKind() == Diagnostic.Kind.ERROR)
            .filter((diagnostic) -> !isAssumed(diagnostic, snippet.assumed()))
            .map((diagnostic) -> "  line " + diagnostic.getLineNumber() + ": " + diagnostic.getMessage(Locale.ROOT))
            .collect(Collectors.toList());
        if (errors.isEmpty()) {
            return null;
        }
        String firstLine = snippet.code().lines().findFirst().orElse("");
        return "README.md line " + snippet.line() + ": " + firstLine + "\n" + String.join("\n", errors);
    }

    private static boolean isAssumed(Diagnostic<? extends JavaFileObject> diagnostic, Set<String> assumed) {
        if (!diagnostic.getCode().startsWith("compiler.err.cant.resolve")) {
            return false;
        }
        Matcher symbol = MISSING_SYMBOL.matcher(diagnostic.getMessage(Locale.ROOT));
        return symbol.find() && assumed.contains(symbol.group(1));
    }

    private String classpath() throws IOException {
        // Surefire runs the tests from a manifest-only jar; it names the real test classpath in this property.
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        try (var blocks = Files.list(this.output)) {
            return blocks.map(Path::toString).collect(Collectors.joining(File.pathSeparator, classpath + File.pathSeparator, ""));
        }
    }

    /**
     * @param line where the block's code starts in the README
     */
    private record Snippet(int line, String code, Set<String> assumed) {

    }

    /**
     * A block as a source file named after its public type, as javac requires, in its package's directory.
     */
    private static final class Source extends SimpleJavaFileObject {

        private final String code;

        Source(String code) {
            super(URI.create("string:///" + path(code)), Kind.SOURCE);
            this.code = code;
        }

        private static String path(String code) {
            Matcher packageName = PACKAGE.matcher(code);
            String directory = packageName.find() ? packageName.group(1).replace('.', '/') + "/" : "";
            Matcher type = PUBLIC_TYPE.matcher(code);
            if (!type.find()) {
                type = ANY_TYPE.matcher(code);
            }
            return directory + (type.find(0) ? type.group(1) : "Snippet") + ".java";
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return this.code;
        }

    }

}
