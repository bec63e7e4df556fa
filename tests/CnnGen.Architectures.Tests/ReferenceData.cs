using System.Security.Cryptography;
using System.Text;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// Reference weights, inputs and outputs written by Debian's torchvision
/// (tests/fixtures/torchvision/make_reference.py) into a cache folder at run time, so no large
/// binary is committed. The cache is <c>$CNNGEN_REFERENCE_CACHE</c>, or <c>~/.cache/cnngen/torchvision</c>.
/// A folder is named by what made it: the key, the variant, the arguments, a hash of the scripts and the
/// torch and torchvision versions, so a changed script or an upgraded torch writes a new folder instead of
/// reusing a stale one. It is written into a temporary folder and renamed into place when complete, so a
/// killed run or a second test process never sees half a reference; the script is killed after
/// <see cref="ScriptTimeout"/>.
/// </summary>
internal static class ReferenceData
{
    /// <summary>Far above the slowest reference (ResNet-152 and EfficientNetV2-S, well under a minute each).</summary>
    public static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(10);

    private static readonly object Gate = new();
    private static readonly Lazy<string> Versions = new(ReadVersions);

    public static string CacheRoot =>
        Environment.GetEnvironmentVariable("CNNGEN_REFERENCE_CACHE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "cnngen", "torchvision");

    /// <summary>The repository's root folder, for tests that read committed files (README.md).</summary>
    public static string RepositoryRoot => RepoRoot();

    private static string Scripts => Path.Combine(RepoRoot(), "tests", "fixtures", "torchvision");

    /// <summary>The folder holding weights.safetensors, io.safetensors and meta.json for <paramref name="key"/>.</summary>
    public static string Get(string key, string variant = "default", params string[] extraArguments)
    {
        var folder = Path.Combine(CacheRoot, $"{key}-{variant}-{MadeBy(extraArguments)}");
        return Materialise(folder, partial => Run("make_reference.py", key, partial, extraArguments));
    }

    /// <summary>
    /// The folder make_head_cases.py writes (torchvision checkpoints with aux heads, a 1000-class ResNet-50,
    /// a ResNet-18 and its stem adapted by timm's rule), made once per script version as <see cref="Get"/> does.
    /// </summary>
    public static string GetHeadCases()
    {
        var made = MadeBy(Versions.Value, Array.Empty<string>(),
            new[] { "make_head_cases.py", "make_reference.py" }.Select(script => File.ReadAllText(Path.Combine(Scripts, script))));
        return Materialise(Path.Combine(CacheRoot, $"head-cases-{made}"), partial => Run("make_head_cases.py", "head cases", partial, Array.Empty<string>()));
    }

    /// <summary>
    /// The folder make_feature_maps.py writes: torchvision's own feature maps (forward hooks, or FX's
    /// <c>create_feature_extractor</c>) for <paramref name="nodes"/> on the reference <see cref="Get"/> gives for <paramref name="key"/>.
    /// </summary>
    public static string GetFeatureMaps(string key, IReadOnlyList<string> nodes) => FromReference(key, "features", "make_feature_maps.py", nodes);

    /// <summary>
    /// The folder make_pth_variants.py writes: <see cref="Get"/>'s weights for <paramref name="key"/> saved by torch.save in
    /// the forms named (<c>zip</c>, <c>legacy</c>, <c>wrapped</c>, <c>module</c>-prefixed); a VGG's four files take 2 GB.
    /// </summary>
    public static string GetPthVariants(string key, IReadOnlyList<string> forms) => FromReference(key, "pth", "make_pth_variants.py", forms);

    /// <summary>What <paramref name="script"/> makes from <see cref="Get"/>'s folder for <paramref name="key"/>, keyed by that folder, the script and its arguments.</summary>
    private static string FromReference(string key, string kind, string script, IReadOnlyList<string> arguments)
    {
        var reference = Get(key);
        var made = MadeBy(Versions.Value, arguments.Prepend(Path.GetFileName(reference)), new[] { File.ReadAllText(Path.Combine(Scripts, script)) });
        return Materialise(Path.Combine(CacheRoot, $"{key}-{kind}-{made}"), partial => RunScript(script, key, new[] { reference, partial }.Concat(arguments)));
    }

    /// <summary>The folder make_check_cases.py writes (a legacy-format and a wrapped, <c>module.</c>-prefixed ResNet-18), made once per script version.</summary>
    public static string GetCheckCases()
    {
        var made = MadeBy(Versions.Value, Array.Empty<string>(), new[] { File.ReadAllText(Path.Combine(Scripts, "make_check_cases.py")) });
        return Materialise(Path.Combine(CacheRoot, $"check-cases-{made}"), partial => Run("make_check_cases.py", "check cases", partial, Array.Empty<string>()));
    }

    /// <summary>The folder make_yolo_decoding.py writes (YOLOv8 head outputs decoded and suppressed as Ultralytics does), made once per script version.</summary>
    public static string GetYoloDecoding()
    {
        var made = MadeBy(Versions.Value, Array.Empty<string>(),
            new[] { "make_yolo_decoding.py", "make_reference.py" }.Select(script => File.ReadAllText(Path.Combine(Scripts, script))));
        return Materialise(Path.Combine(CacheRoot, $"yolo-decoding-{made}"), partial => Run("make_yolo_decoding.py", "yolo decoding", partial, Array.Empty<string>()));
    }

    /// <summary>Makes <paramref name="folder"/> with <paramref name="make"/> in a temporary folder renamed into place, unless it exists.</summary>
    private static string Materialise(string folder, Action<string> make)
    {
        lock (Gate)
        {
            if (File.Exists(Path.Combine(folder, "meta.json"))) return folder;
            Directory.CreateDirectory(CacheRoot);
            var partial = $"{folder}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}";
            Directory.CreateDirectory(partial);
            try
            {
                make(partial);
                if (!File.Exists(Path.Combine(partial, "meta.json")))
                    throw new InvalidOperationException($"{Path.GetFileName(folder)}: the script ended without writing meta.json into {partial}");
                try
                {
                    Directory.Move(partial, folder);
                }
                catch (IOException) when (File.Exists(Path.Combine(folder, "meta.json")))
                {
                    // Another test process finished the same reference first; its folder is as good as ours.
                }
                return folder;
            }
            finally
            {
                if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            }
        }
    }

    private static string MadeBy(string[] extraArguments) =>
        MadeBy(Versions.Value, extraArguments, new[] { "make_reference.py", "make_manifests.py" }.Select(script => File.ReadAllText(Path.Combine(Scripts, script))));

    /// <summary>A short hash of the torch and torchvision versions, the arguments and the scripts' text.</summary>
    internal static string MadeBy(string versions, IEnumerable<string> extraArguments, IEnumerable<string> scripts)
    {
        var text = new StringBuilder(versions).Append('\n').AppendJoin('\u0001', extraArguments).Append('\n');
        foreach (var script in scripts) text.Append(script).Append('\u0002');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..12].ToLowerInvariant();
    }

    private static void Run(string script, string key, string folder, string[] extraArguments) =>
        RunScript(script, key, (script == "make_reference.py" ? new[] { key, folder } : new[] { folder }).Concat(extraArguments));

    private static void RunScript(string script, string key, IEnumerable<string> arguments)
    {
        var (code, output, error) = Python(arguments.Prepend(Path.Combine(Scripts, script)), ScriptTimeout);
        if (code != 0)
            throw new InvalidOperationException(
                $"{script} {key} failed ({code}). It needs Debian's python3-torchvision " +
                $"(apt-get install -y --no-install-recommends python3-torchvision; .ci/run installs it).\n{error}\n{output}");
    }

    private static string ReadVersions()
    {
        var (code, output, error) = Python(["-c", "import torch, torchvision; print(torch.__version__, torchvision.__version__)"], TimeSpan.FromMinutes(2));
        if (code != 0)
            throw new InvalidOperationException(
                "Debian's torch and torchvision do not import under /usr/bin/python3 (apt-get install -y --no-install-recommends " +
                $"python3-torchvision; .ci/run installs it).\n{error}");
        return output.Trim();
    }

    /// <summary>Runs /usr/bin/python3, killing it (and what it started) when it outlives <paramref name="timeout"/>.</summary>
    private static (int Code, string Output, string Error) Python(IEnumerable<string> arguments, TimeSpan timeout) =>
        CnnGen.Tests.Shared.ChildProcess.Run("/usr/bin/python3", arguments, timeout);

    internal static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));
}
