using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Model;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// Walks a network document: expands blocks and repetitions, infers every layer's shape, counts
/// parameters and MACs, builds the module tree and the forward steps, and reports every problem at
/// its YAML location. After an error the shape on that path becomes unknown, so one mistake gives
/// one diagnostic instead of a cascade, while independent parts are still checked.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    /// <summary>More layer instances than any published network has by far; guards against runaway repetitions.</summary>
    public const int MaxLayerInstances = 100_000;

    private readonly NetworkDocument _document;
    private readonly List<Problem> _problems;
    private readonly CancellationToken _cancellationToken;
    private readonly NetworkModel _model = new();
    private readonly Scope _globals = new(null);

    /// <summary>The names the network's top level sees: the model arguments and <c>input</c> (aux heads run in it too).</summary>
    private Scope _networkScope;
    private readonly Dictionary<string, BlockDefinition> _blocks;
    private readonly Stack<(BlockDefinition Block, SourceSpan Site, string Path)> _instantiations = new();

    /// <summary>How many instances of each block this analysis has made so far: a body's <c>block_index</c>.</summary>
    private readonly Dictionary<string, int> _blockInstances = new();

    /// <summary>
    /// Every block's number of instances in the network, from a first analysis: a body's <c>block_count</c>. Null in
    /// that first analysis, where <c>block_count</c> reads <see cref="UnknownBlockCount"/> and is noted as read.
    /// </summary>
    private IReadOnlyDictionary<string, int>? _blockTotals;

    /// <summary><c>block_count</c> in the first analysis: large, so a rate such as p * block_index / block_count stays in range.</summary>
    private const int UnknownBlockCount = 1 << 20;
    private int _nextVar = 1;
    private int _instances;
    private bool _tooLarge;

    private readonly VariantDefinition? _variant;

    private NetworkAnalyzer(NetworkDocument document, VariantDefinition? variant, List<Problem> problems, CancellationToken cancellationToken)
    {
        _document = document;
        _variant = variant;
        _problems = problems;
        _cancellationToken = cancellationToken;
        _blocks = document.Blocks.ToDictionary(block => block.Name, StringComparer.Ordinal);
        _networkScope = new Scope(_globals);
    }

    /// <summary>A point of the forward pass: the tensor and its shape (null once an error made it unknown).</summary>
    private sealed record Flow(TensorVar Var, Shape? Shape);

    /// <summary>A group of the module tree and its state-dict path.</summary>
    private sealed record Group(ModuleNode Node, string Path)
    {
        public string ChildPath(string name) => Path.Length == 0 ? name : Path + "." + name;

        public string NextIndex() => (Node.NextIndex++).ToString(System.Globalization.CultureInfo.InvariantCulture);

        public Group AddGroup(string name, SourceSpan site = default)
        {
            var node = new ModuleNode(name, isGroup: true) { Site = site };
            Node.Children.Add(node);
            return new Group(node, ChildPath(name));
        }
    }

    public static NetworkModel? Analyze(NetworkDocument document, string fallbackClassName, List<Problem> problems, CancellationToken cancellationToken = default) =>
        Analyze(document, null, fallbackClassName, problems, cancellationToken);

    /// <summary>Analyses one class of the file: the file itself, or one of its <c>variants</c>.</summary>
    public static NetworkModel? Analyze(NetworkDocument document, VariantDefinition? variant, string fallbackClassName, List<Problem> problems, CancellationToken cancellationToken = default,
        IReadOnlyList<LayerKind>? customLayers = null)
    {
        var found = new List<Problem>();
        var analyzer = new NetworkAnalyzer(document, variant, found, cancellationToken) { _customLayers = customLayers ?? Array.Empty<LayerKind>() };
        var model = analyzer.Run(fallbackClassName);
        if (analyzer.ReadBlockCount())
        {
            // block_count is the number of instances the whole network makes: known only once it has been walked.
            var totals = new Dictionary<string, int>(analyzer._blockInstances);
            found = new List<Problem>();
            analyzer = new NetworkAnalyzer(document, variant, found, cancellationToken) { _customLayers = analyzer._customLayers, _blockTotals = totals };
            model = analyzer.Run(fallbackClassName);
            analyzer.CheckBlockTotals();
        }
        var symbolic = model is not null && (model.InputSymbols.Height is not null || model.InputSymbols.Width is not null);
        var errors = found.Where(problem => problem.Severity == ProblemSeverity.Error).ToList();
        var clean = model?.Output is not null && errors.Count == 0;
        // A symbolic network's probe analysis only finds the formulas; its problems come from the final
        // one. A size problem at the probe size (branches that disagree) may vanish at another size.
        var sizeOnly = symbolic && errors.Count > 0 && errors.All(problem => SizeProblems.Contains(problem.Id));
        if (!symbolic || !(clean || sizeOnly)) problems.AddRange(found);
        return clean || sizeOnly ? ResolveSizes(document, variant, fallbackClassName, model!, analyzer, problems, cancellationToken) : model;
    }

    private SourceSpan? Related => _instantiations.Count > 0 ? _instantiations.Peek().Site : null;

    private void Report(DiagnosticInfo info, SourceSpan span, params object[] args) =>
        _problems.Add(Problem.Create(info, span, args) with { Related = Related });

    private NetworkModel? Run(string fallbackClassName)
    {
        var errorsBefore = _problems.Count(problem => problem.Severity == ProblemSeverity.Error);
        _model.SourcePath = _document.Path;
        _model.Description = _variant?.Description ?? _document.Description;
        _model.ClassName = ReadClassName(fallbackClassName);
        _model.CustomLayers = _customLayers.OfType<CustomLayer>().Select(layer => layer.Spec).ToList();
        ReadArguments();
        var input = ReadInput();
        if (_document.Layers is null || input is null) return null;
        _model.Input = input;

        var root = new Group(_model.Root, "");
        _auxHeads = ReadAuxHeads();
        _networkScope = new Scope(_globals);
        NameOutput(_networkScope, InputName, new Flow(_model.InputVar, input));
        var flow = RunNode(_document.Layers, new Flow(_model.InputVar, input), root, _networkScope);
        CheckAuxTaps();
        RegisterLateHeads();
        CheckUniqueNames(_model.Root, "");
        CollectStateDict();
        var result = ReadNetworkOutputs(flow);
        _model.OutputVar = result?.Var ?? flow.Var;
        _model.Output = result is null ? null : result.Shape;

        var errors = _problems.Count(problem => problem.Severity == ProblemSeverity.Error) - errorsBefore;
        if (errors == 0) ReadHeadFacts();
        if (errors == 0) _model.Head = HeadCut.Find(_model);
        if (errors == 0) ReportUnused();
        if (errors == 0 && result?.Shape is not null) CheckPublished();
        return _model;
    }

    private string ReadClassName(string fallback)
    {
        var name = _variant?.Name ?? _document.Name;
        if (name is null) return fallback;
        if (Identifiers.RuntimeTypes.Contains(name.Text))
            Report(DiagnosticCatalog.InvalidValue, name.Span, "name", $"'{name.Text}' is a CnnGen.Runtime type that the generated code uses; choose another class name");
        else if (Identifiers.IsClassName(name.Text)) return name.Text;
        else Report(DiagnosticCatalog.InvalidValue, name.Span, "name", $"'{name.Text}' is not a valid C# class name (letters, digits and '_', not starting with a digit)");
        return fallback;
    }

    private void ReadArguments()
    {
        var fixedByVariant = new Dictionary<string, ArgumentDefinition>(StringComparer.Ordinal);
        foreach (var setting in _variant?.Arguments ?? Array.Empty<ArgumentDefinition>())
        {
            if (_document.Arguments.Any(argument => argument.Key.Text == setting.Key.Text))
                fixedByVariant[setting.Key.Text] = setting;
            else
                Report(DiagnosticCatalog.UnknownArgument, setting.Key.Span, $"In variant '{_variant!.Name.Text}'", "args", setting.Key.Text,
                    Suggestions.DidYouMean(setting.Key.Text, _document.Arguments.Select(a => a.Key.Text)) + " (declare it under the top-level 'args' with a default)");
        }
        foreach (var declared in _document.Arguments)
        {
            // A variant fixes an argument at compile time: it is a constant of that class, not a constructor parameter.
            var isFixed = fixedByVariant.TryGetValue(declared.Key.Text, out var setting);
            var argument = isFixed ? setting! : declared;
            if (argument.Default is null) continue;
            Value value;
            try
            {
                value = Evaluator.Evaluate(argument.Default, name => null);
            }
            catch (ExpressionException error)
            {
                Report(DiagnosticCatalog.ExpressionError, argument.DefaultText.SpanOf(error.Start, error.End), $"Default of '{argument.Key.Text}': {error.Message}");
                continue;
            }
            var type = value.Kind switch
            {
                ValueKind.Int => "int",
                ValueKind.Float => "double",
                ValueKind.Bool => "bool",
                _ => null,
            };
            if (type is null)
            {
                Report(DiagnosticCatalog.InvalidValue, argument.DefaultText.Span, argument.Key.Text, $"must default to a number or true/false, not {value.KindName}");
                continue;
            }
            if (isFixed)
            {
                _globals.Set(argument.Key.Text, value);
                continue;
            }
            var csharpName = Identifiers.Camel(argument.Key.Text);
            _model.Arguments.Add(new ModelArgument(argument.Key.Text, csharpName, type, value));
            _globals.Set(argument.Key.Text, value.WithSymbolic(new ArgumentRef(argument.Key.Text, csharpName)));
        }
    }

    private Shape? ReadInput()
    {
        var node = _document.Input;
        if (node is null) return null;
        if (node is YamlSequence sequence && sequence.Items.Count == 3 && sequence.Items.All(item => item is YamlScalar))
        {
            var channelsScalar = (YamlScalar)sequence.Items[0];
            // The channel count may name an integer model argument (input: [in_channels, 224, 224]): a
            // constructor parameter that sets the stem's input channels, counted at its default.
            var channels = long.TryParse(channelsScalar.Text, out var literal) ? Value.Of(literal)
                : Identifiers.IsName(channelsScalar.Text) && _globals.Lookup(channelsScalar.Text) is { Kind: ValueKind.Int } argument ? argument
                : null;
            if (channels is null || channels.Int < 1 || channels.Int > 1_000_000)
            {
                Report(DiagnosticCatalog.InvalidValue, channelsScalar.Span, "input", $"dimension '{channelsScalar.Text}' must be a positive integer (or the name of an integer model argument)");
                return null;
            }
            var height = ReadSpatialInput((YamlScalar)sequence.Items[1], height: true);
            var width = ReadSpatialInput((YamlScalar)sequence.Items[2], height: false);
            if (height is null || width is null) return null;
            return Shape.Map(channels, height.Value, width.Value) with { HeightFormula = SizeFormula.Identity, WidthFormula = SizeFormula.Identity };
        }
        Report(DiagnosticCatalog.InvalidValue, node.Span, "input", "must be [channels, height, width], e.g. [3, 224, 224]");
        return null;
    }

    private readonly HashSet<string> _usedBlocks = new();

    /// <summary>Warnings for what the file declares but never uses (only on a clean run: errors stop the walk early).</summary>
    private void ReportUnused()
    {
        foreach (var block in _document.Blocks.Where(block => !_usedBlocks.Contains(block.Name)))
            Report(DiagnosticCatalog.UnusedBlock, block.Header.SpanOf(0, block.Name.Length), block.Name);
        foreach (var argument in _document.Arguments.Where(argument => !_globals.WasUsed(argument.Key.Text)))
            Report(DiagnosticCatalog.UnusedArgument, argument.Key.Span, argument.Key.Text);
    }

    private void CheckPublished()
    {
        var scalar = _variant is null ? _document.PublishedParams : _variant.PublishedParams;
        if (scalar is null) return;
        if (!long.TryParse(scalar.Text.Replace("_", "").Replace(",", ""), out var published) || published < 0)
        {
            Report(DiagnosticCatalog.InvalidValue, scalar.Span, "published.params", $"'{scalar.Text}' must be a whole number of parameters");
            return;
        }
        _model.PublishedParameters = published;
        _model.PublishedSource = _variant?.PublishedSource ?? _document.PublishedSource;
        if (published == _model.ParameterCount) return;
        var largest = _model.Layers.Where(row => row.Parameters > 0).OrderByDescending(row => row.Parameters).ThenBy(row => row.Path, StringComparer.Ordinal).Take(3)
            .Select(row => $"{row.Path} ({row.Type}) {row.Parameters:N0}");
        Report(DiagnosticCatalog.ParameterCountMismatch, scalar.Span, _model.ClassName, _model.ParameterCount, published,
            _model.PublishedSource ?? "no source given", _model.ParameterCount - published, string.Join(", ", largest));
    }

    private TensorVar NewVar() => new(_nextVar++);

    /// <summary>Counts a layer instance; false (once reported) when the network grows past any sensible size.</summary>
    private bool CountInstance(SourceSpan span)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (++_instances <= MaxLayerInstances) return true;
        if (!_tooLarge)
        {
            _tooLarge = true;
            Report(DiagnosticCatalog.Unsupported, span, $"The network expands to more than {MaxLayerInstances:N0} layers; check the repetition counts");
        }
        return false;
    }
}
