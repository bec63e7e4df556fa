using CnnGen.Architectures;
using CnnGen.Runtime.Weights;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// Published weights load by name and give the reference implementation's numbers: torchvision's
/// model with random weights and randomised BatchNorm statistics is saved as safetensors with an
/// input batch and its eval-mode output; the generated class loads the file strictly and must agree
/// within 1e-4 of the output's largest magnitude.
/// </summary>
public class EquivalenceTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    private static double MaxAbsDifference(Tensor actual, Tensor expected) => (actual - expected).abs().max().item<float>();

    private void AssertClose(string what, Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        var difference = MaxAbsDifference(actual, expected);
        var magnitude = expected.abs().max().item<float>();
        output.WriteLine($"{what}: max |difference| {difference:E2}, max |output| {magnitude:G4}, ratio {difference / magnitude:E2}");
        Assert.True(difference <= Tolerance * magnitude, $"{what}: max |difference| {difference:E3} exceeds {Tolerance} x {magnitude:G4}");
    }

    /// <summary>Loads the reference weights for <paramref name="key"/> strictly and opens the reference input and outputs.</summary>
    private static SafetensorsFile LoadReference(nn.Module model, string key, string variant = "default", params string[] arguments)
    {
        var folder = ReferenceData.Get(key, variant, arguments);
        var report = model.LoadSafetensors(Path.Combine(folder, "weights.safetensors"));
        Assert.False(report.HasProblems, report.ToString());
        return SafetensorsFile.Open(Path.Combine(folder, "io.safetensors"));
    }

    [Theory]
    [MemberData(nameof(Zoo.TorchvisionNames), MemberType = typeof(Zoo))]
    public void Eval_output_equals_torchvision(string name)
    {
        using var model = Zoo.Get(name).CreateModule();
        using var io = LoadReference(model, Zoo.TorchvisionKey[name]!);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var expected = io.ReadTensor("output");
        // A network that returns several outputs (an FPN's five maps) is compared output by output.
        var outputs = Zoo.Outputs(model, io.ReadTensor("input"));
        var names = Zoo.ReferenceOutputNames(name);
        Assert.Equal(names.Count, outputs.Count);
        for (var i = 0; i < outputs.Count; i++)
            AssertClose(names.Count == 1 ? name : $"{name} {names[i]}", outputs[i], io.ReadTensor(names[i]));
        // A reference whose output hardly depends on the input would let a network that ignores it pass.
        var spread = InputDependence(expected);
        output.WriteLine($"{name}: the reference's two outputs differ by {spread:P1} of the largest");
        Assert.True(spread >= MinimumInputDependence, $"{name}: the reference output barely depends on the input (its two samples differ by {spread:P2} of max |y|)");
    }

    /// <summary>The least share of max |y| by which the reference's two samples must differ.</summary>
    private const double MinimumInputDependence = 0.05; // the least seen: AlexNet 7.6%, VGG-16 8.0%; the others 11-58%

    /// <summary>max |y0 - y1| / max |y| over the batch's first two samples.</summary>
    private static double InputDependence(Tensor outputs) =>
        ((outputs[0] - outputs[1]).abs().max() / outputs.abs().max()).item<float>();

    [Fact]
    public void A_network_at_another_class_count_and_input_size_equals_torchvision()
    {
        using var model = new ResNet18(numClasses: 10);
        using var io = LoadReference(model, "resnet18", "c10-160", "--num-classes", "10", "--size", "160", "160");
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = io.ReadTensor("input");
        Assert.Equal(new long[] { 2, 3, 160, 160 }, input.shape);
        AssertClose("ResNet18 (10 classes, 160x160)", model.forward(input), io.ReadTensor("output"));
    }

    /// <summary>Training mode with the same weights, dropout off and batch norm in eval, as the reference script does.</summary>
    private static void TrainWithoutNoise(nn.Module model)
    {
        model.train();
        foreach (var (_, module) in model.named_modules())
            if (module is BatchNorm2d or Dropout) module.eval();
    }

    [Fact]
    public void GoogLeNet_aux_outputs_in_training_equal_torchvision()
    {
        using var model = new GoogLeNetAux();
        using var io = LoadReference(model, "googlenet_aux");
        TrainWithoutNoise(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var outputs = model.ForwardWithAux(io.ReadTensor("input"));
        AssertClose("GoogLeNet main", outputs.Output, io.ReadTensor("output"));
        AssertClose("GoogLeNet aux1", outputs.Aux1!, io.ReadTensor("aux1"));
        AssertClose("GoogLeNet aux2", outputs.Aux2!, io.ReadTensor("aux2"));
        model.eval();
        var eval = model.ForwardWithAux(io.ReadTensor("input"));
        Assert.Null(eval.Aux1);
        Assert.Null(eval.Aux2);
    }

    [Fact]
    public void Inception_v3_aux_output_in_training_equals_torchvision()
    {
        using var model = new InceptionV3Aux();
        using var io = LoadReference(model, "inception_v3_aux");
        TrainWithoutNoise(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var outputs = model.ForwardWithAux(io.ReadTensor("input"));
        AssertClose("Inception-v3 main", outputs.Output, io.ReadTensor("output"));
        AssertClose("Inception-v3 AuxLogits", outputs.AuxLogits!, io.ReadTensor("aux"));
    }

    /// <summary>
    /// torchvision's segmentation models with aux_loss=True return {"out", "aux"} in eval; the YAML's aux head says
    /// in_eval: true, so ForwardWithAux returns both in eval mode too, equal to torchvision's. In training (BN and
    /// dropout put back in eval, the same arithmetic) it returns the same.
    /// </summary>
    [Theory]
    [InlineData("FcnResNet50", "fcn_resnet50")]
    [InlineData("DeepLabV3ResNet50", "deeplabv3_resnet50")]
    public void Segmentation_aux_output_equals_torchvisions_in_eval_and_in_training(string name, string key)
    {
        using var model = Zoo.Get(name).Create();
        using var io = LoadReference(model, key);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var forwardWithAux = model.GetType().GetMethod("ForwardWithAux")!;
        foreach (var mode in new[] { "eval", "training" })
        {
            if (mode == "eval") model.eval();
            else TrainWithoutNoise(model);
            var outputs = forwardWithAux.Invoke(model, [io.ReadTensor("input")])!;
            var main = (Tensor)outputs.GetType().GetProperty("Output")!.GetValue(outputs)!;
            var aux = outputs.GetType().GetProperty("AuxClassifier")!.GetValue(outputs) as Tensor;
            Assert.True(aux is not null, $"{name} in {mode} mode: ForwardWithAux returned no aux output");
            AssertClose($"{name} out ({mode})", main, io.ReadTensor("output"));
            AssertClose($"{name} aux ({mode})", aux!, io.ReadTensor("aux"));
        }
    }

    /// <summary>The inference form's largest relative distance from a float64 run, whatever float32 does to the eval network.</summary>
    private const double AbsoluteInferenceError = 1e-3;

    [Theory]
    [MemberData(nameof(Zoo.TorchvisionNames), MemberType = typeof(Zoo))]
    public void The_inference_form_equals_the_eval_network(string name)
    {
        // Batch norm folded into the convolutions and channels-last layout change only rounding.
        using var model = Zoo.Get(name).CreateModule();
        using var io = LoadReference(model, Zoo.TorchvisionKey[name]!);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = io.ReadTensor("input");
        // Every output of a network that returns several, flattened into one vector.
        static Tensor Joined(IReadOnlyList<Tensor> outputs) => outputs.Count == 1 ? outputs[0] : cat(outputs.Select(output => output.flatten()).ToArray());
        var eval = Joined(Zoo.Outputs(model, input));
        ((CnnGen.Runtime.IGeneratedNetwork)model).ConvertToInference();
        var inference = Joined(Zoo.Outputs(model, input));
        static double Relative(Tensor a, Tensor b) => ((a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).norm() / b.to(ScalarType.Float64).norm()).item<double>();
        // Relative error as ||difference|| / ||eval output||.
        var relative = Relative(inference, eval);
        output.WriteLine($"{name} inference form: relative error {relative:E2}, max |difference| {MaxAbsDifference(inference, eval):E2} (max |output| {eval.abs().max().item<float>():G4})");
        if (relative <= Tolerance) return;

        // Deep networks with random weights amplify float32 rounding: then the eval network itself is
        // about as far from the exact result. Measure both against a float64 run of the same weights:
        // the inference form must be no less accurate than twice the eval network's own error.
        using var exactModel = Zoo.Get(name).CreateModule();
        LoadReference(exactModel, Zoo.TorchvisionKey[name]!).Dispose();
        exactModel.eval();
        exactModel.to(ScalarType.Float64);
        var exact = Joined(Zoo.Outputs(exactModel, input.to(ScalarType.Float64)));
        var evalError = Relative(eval, exact);
        var inferenceError = Relative(inference, exact);
        output.WriteLine($"{name}: against float64, eval {evalError:E2}, inference form {inferenceError:E2}");
        Assert.True(inferenceError <= 2 * evalError, $"{name}: the inference form is {inferenceError:E2} from the float64 result, the eval network {evalError:E2}");
        // However inaccurate float32 is for this network, the inference form must still be close to exact.
        Assert.True(inferenceError <= AbsoluteInferenceError, $"{name}: the inference form is {inferenceError:E2} from the float64 result, beyond {AbsoluteInferenceError:E0}");
    }

    [Fact]
    public void The_inference_form_equals_the_eval_network_with_negative_and_zero_batch_norm_scales()
    {
        // Trained networks can have batch norms with negative or zero gamma; the reference weights (gamma in
        // [0.5, 1.5]) never do, so there DenseNet's pre-activation folds all take the maximum path. Here a
        // quarter of the gammas are negative and some are zero, which takes the clamp path.
        using var model = new DenseNet121();
        var generator = new TorchSharp.torch.Generator(seed: 7);
        using (no_grad())
        {
            foreach (var (_, module) in model.named_modules())
            {
                if (module is not BatchNorm2d bn) continue;
                var channels = bn.weight!.shape[0];
                var gamma = rand(channels, generator: generator) * 2 - 0.5; // [-0.5, 1.5): about a quarter negative
                gamma[rand(channels, generator: generator) < 0.05] = 0;
                bn.weight!.copy_(gamma);
                bn.bias!.copy_(randn(channels, generator: generator) * 0.1);
                bn.running_mean!.copy_(randn(channels, generator: generator) * 0.1);
                bn.running_var!.copy_(rand(channels, generator: generator) + 0.5);
            }
        }
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = randn(new long[] { 2 }.Concat(DenseNet121.InputShape).ToArray(), generator: generator);
        model.to(ScalarType.Float64);
        var exact = model.forward(input.to(ScalarType.Float64));
        model.to(ScalarType.Float32);
        var eval = model.forward(input);
        ((CnnGen.Runtime.IGeneratedNetwork)model).ConvertToInference();
        var clamped = model.named_modules().Count(m => m.module is BatchNorm2d bn && bn.has_buffer("preactivation_upper"));
        Assert.True(clamped > 50, $"only {clamped} pre-activations took the clamp path");
        var inference = model.forward(input);
        static double Relative(Tensor a, Tensor b) => ((a.to(ScalarType.Float64) - b).norm() / b.norm()).item<double>();
        var (evalError, inferenceError) = (Relative(eval, exact), Relative(inference, exact));
        output.WriteLine($"DenseNet121, {clamped} clamped pre-activations: against float64, eval {evalError:E2}, inference form {inferenceError:E2}");
        Assert.True(inferenceError <= Math.Max(Tolerance, 2 * evalError), $"the inference form is {inferenceError:E2} from the float64 result, the eval network {evalError:E2}");
    }
}
