using System.Globalization;
using CnnGen.Runtime;
using CnnGen.Runtime.Onnx;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// The operations of dense-prediction networks that no zoo class uses in every form: a transposed convolution with
/// padding and output padding, a crop and resizes to another map's size (bilinear with and without aligned corners,
/// nearest, at sizes that are not multiples), and joins of values made long before and of the network input. A
/// graph written as the generator writes it (docs/graph-json.md), exported with weights from a TorchSharp
/// ConvTranspose2d, must pass the onnx checker and give in ONNX Runtime what TorchSharp and the runtime's Forward
/// steps give: with height and width dynamic (sizes read at run time, checked at a second input size) and fixed
/// (a flatten at the end; sizes written as constants).
/// </summary>
public sealed class OnnxDensePredictionTests
{
    // output|op|inputs|shape|flags|path|aux|parameters|macs|row path|row type|row detail|attributes
    private const string Nodes = """
        1|conv_transpose|0|3x18x14|m|up||57|0||||in=2;out=3;kernel=3,3;stride=2,2;padding=1,1;output_padding=1,1;dilation=1,1;groups=1;bias=true
        2|center_crop|1,0|3x9x7||crop||0|0||||
        3|maxpool|1|3x8x6||pool||0|0||||kernel=3,3;stride=2,2;padding=0,0;ceil_mode=false
        4|resize_to|3,0|3x9x7||resize||0|0||||mode=bilinear;align_corners=false
        5|add|2,4|3x9x7||join||0|0||||scale=1
        6|resize_to|5,3|3x8x6||nearest||0|0||||mode=nearest;align_corners=false
        7|concat|6,3|6x8x6||cat||0|0||||
        8|resize_to|7,0|6x9x7||aligned||0|0||||mode=bilinear;align_corners=true
        9|concat|8,0|8x9x7||with_input||0|0||||
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Crops_resizes_and_joins_of_earlier_values_give_the_TorchSharp_output(bool dynamic)
    {
        var text = "Joins\ninput|2x9x7\n" + Nodes + "\n" + (dynamic
            ? "output|9|8x9x7\ntotals|57|0\n"
            : "10|flatten|9|504||flat||0|0||||\noutput|10|504\ntotals|57|0\n");
        var graph = NetworkGraph.Parse(text, null);
        manual_seed(3);
        using var up = nn.ConvTranspose2d(2, 3, 3, stride: 2, padding: 1, output_padding: 1);
        var weights = new Weights(new Dictionary<string, Tensor> { ["up.weight"] = up.weight!, ["up.bias"] = up.bias! });
        var path = Path.Combine(Path.GetTempPath(), $"cnngen-onnx-joins-{Guid.NewGuid():N}.onnx");
        try
        {
            var model = OnnxExport.Build(graph, weights);
            Assert.Equal(dynamic ? "true" : "false", model.MetadataProps.Single(entry => entry.Key == OnnxExport.DynamicSpatialKey).Value);
            OnnxExport.WriteFile(model, path);
            OnnxExportTests.CheckWithOnnx(path);
            using var session = new InferenceSession(path);
            foreach (var (height, width) in dynamic ? new[] { (9, 7), (13, 10) } : new[] { (9, 7) })
                foreach (var batch in new[] { 1, 2 })
                {
                    using var scope = NewDisposeScope();
                    using var _ = no_grad();
                    var input = randn(batch, 2, height, width);
                    var expected = Forward(up, input, flatten: !dynamic);
                    using var results = session.Run([NamedOnnxValue.CreateFromTensor("input",
                        new DenseTensor(input.data<float>().ToArray(), new[] { batch, 2, height, width }))]);
                    var output = results.Single().AsTensor<float>();
                    Assert.Equal(expected.shape, output.Dimensions.ToArray().Select(d => (long)d).ToArray());
                    var actual = output.ToArray();
                    var values = expected.contiguous().data<float>().ToArray();
                    var largest = values.Max(Math.Abs);
                    var worst = values.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
                    Assert.True(worst <= 1e-5 * largest, $"{height}x{width}, batch {batch}: max|difference| {worst:G3} against max|output| {largest:G3}");
                }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The graph's computation in TorchSharp, through the runtime's own steps for the crop and the resizes.</summary>
    private static Tensor Forward(nn.Module<Tensor, Tensor> up, Tensor x, bool flatten)
    {
        var v1 = up.forward(x);
        var v2 = CnnGen.Runtime.Forward.CenterCrop(v1, x);
        var v3 = nn.functional.max_pool2d(v1, 3, 2);
        var v4 = CnnGen.Runtime.Forward.ResizeTo(v3, x, bilinear: true, alignCorners: false);
        var v5 = v4 + v2;
        var v6 = CnnGen.Runtime.Forward.ResizeTo(v5, v3, bilinear: false, alignCorners: false);
        var v7 = cat([v6, v3], 1);
        var v8 = CnnGen.Runtime.Forward.ResizeTo(v7, x, bilinear: true, alignCorners: true);
        var v9 = cat([v8, x], 1);
        return flatten ? v9.flatten(1) : v9;
    }

    private sealed class Weights(Dictionary<string, Tensor> tensors) : IOnnxWeights
    {
        public long ParameterCount => tensors.Values.Sum(tensor => tensor.numel());

        public bool TryGet(string key, out float[] values, out long[] shape)
        {
            if (!tensors.TryGetValue(key, out var tensor))
            {
                (values, shape) = ([], []);
                return false;
            }
            values = tensor.detach().contiguous().data<float>().ToArray();
            shape = tensor.shape;
            return true;
        }
    }
}
