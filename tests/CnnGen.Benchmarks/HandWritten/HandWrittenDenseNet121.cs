using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CnnGen.Benchmarks.HandWritten;

/// <summary>
/// DenseNet-121 (memory_efficient=False, no dropout) as a TorchSharp user writes it by hand, following
/// torchvision's densenet.py (same module names, so the same safetensors file loads into it): the
/// baseline the generated class is measured against.
/// </summary>
public sealed class HandWrittenDenseNet121 : Module<Tensor, Tensor>
{
    private sealed class DenseLayer : Module<List<Tensor>, Tensor>
    {
        private readonly BatchNorm2d norm1;
        private readonly ReLU relu1 = ReLU(inplace: true);
        private readonly Conv2d conv1;
        private readonly BatchNorm2d norm2;
        private readonly ReLU relu2 = ReLU(inplace: true);
        private readonly Conv2d conv2;

        public DenseLayer(long numInputFeatures, long growthRate, long bnSize) : base("DenseLayer")
        {
            norm1 = BatchNorm2d(numInputFeatures);
            conv1 = Conv2d(numInputFeatures, bnSize * growthRate, 1, bias: false);
            norm2 = BatchNorm2d(bnSize * growthRate);
            conv2 = Conv2d(bnSize * growthRate, growthRate, 3, padding: 1, bias: false);
            RegisterComponents();
        }

        public override Tensor forward(List<Tensor> inputs)
        {
            var concatenated = torch.cat(inputs, 1);
            var bottleneck = conv1.forward(relu1.forward(norm1.forward(concatenated)));
            return conv2.forward(relu2.forward(norm2.forward(bottleneck)));
        }
    }

    private sealed class DenseBlock : Module<Tensor, Tensor>
    {
        private readonly DenseLayer[] layers;

        public DenseBlock(int numLayers, long numInputFeatures, long bnSize, long growthRate) : base("DenseBlock")
        {
            layers = new DenseLayer[numLayers];
            for (var i = 0; i < numLayers; i++)
            {
                layers[i] = new DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize);
                register_module($"denselayer{i + 1}", layers[i]);
            }
            RegisterComponents();
        }

        public override Tensor forward(Tensor initFeatures)
        {
            var features = new List<Tensor> { initFeatures };
            foreach (var layer in layers)
                features.Add(layer.forward(features));
            return torch.cat(features, 1);
        }
    }

    private static Sequential Transition(long numInputFeatures, long numOutputFeatures) => Sequential(
        ("norm", BatchNorm2d(numInputFeatures)),
        ("relu", ReLU(inplace: true)),
        ("conv", Conv2d(numInputFeatures, numOutputFeatures, 1, bias: false)),
        ("pool", AvgPool2d(2, 2)));

    private readonly Sequential features;
    private readonly Linear classifier;

    public HandWrittenDenseNet121(int numClasses = 1000) : base("DenseNet121")
    {
        const long growthRate = 32, bnSize = 4, numInitFeatures = 64;
        int[] blockConfig = { 6, 12, 24, 16 };

        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("conv0", Conv2d(3, numInitFeatures, 7, stride: 2, padding: 3, bias: false)),
            ("norm0", BatchNorm2d(numInitFeatures)),
            ("relu0", ReLU(inplace: true)),
            ("pool0", MaxPool2d(3, 2, 1)),
        };
        var numFeatures = numInitFeatures;
        for (var i = 0; i < blockConfig.Length; i++)
        {
            layers.Add(($"denseblock{i + 1}", new DenseBlock(blockConfig[i], numFeatures, bnSize, growthRate)));
            numFeatures += blockConfig[i] * growthRate;
            if (i != blockConfig.Length - 1)
            {
                layers.Add(($"transition{i + 1}", Transition(numFeatures, numFeatures / 2)));
                numFeatures /= 2;
            }
        }
        layers.Add(("norm5", BatchNorm2d(numFeatures)));
        features = Sequential(layers.ToArray());
        classifier = Linear(numFeatures, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var output = functional.relu(features.forward(x), inplace: true);
        output = functional.adaptive_avg_pool2d(output, (1, 1));
        return classifier.forward(output.flatten(1));
    }
}
