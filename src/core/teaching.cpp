#include "core/teaching.h"

namespace attnviz {

// Written for this project; each paragraph names the work it summarises.
const std::vector<TeachingSection>& teachingSections() {
  static const std::vector<TeachingSection> sections = {
      {"Why attention replaced recurrence",
       {"A recurrent network reads a sentence one token at a time and squeezes everything it has seen into one "
        "state vector. Two costs follow. Training cannot run the positions of a sequence in parallel, because step "
        "t needs the state of step t-1. And a word at the end reaches a word at the start only through every state "
        "in between, so long-range links are weak and hard to learn.",
        "The Transformer (Vaswani et al. 2017) drops the recurrence. Each layer lets every position look at every "
        "other position directly, in one matrix product, so any two tokens are one step apart and all positions "
        "are computed at once on parallel hardware. The price is a score for every pair of tokens: n\xC2\xB2 of them "
        "per head, which is the square this window draws. Word order, lost without recurrence, comes back as "
        "position information added to the token vectors. On machine translation the model beat recurrent and "
        "convolutional systems while training in a fraction of their time."},
       {"Vaswani et al. 2017"}},
      {"What heads learn: probing and pruning",
       {"Clark et al. (2019) read the attention maps of BERT head by head. Many heads follow simple rules: look at "
        "the previous or the next token, at the separator token, or at the full stop. Others line up with grammar "
        "without having been taught it: particular heads point from a verb to its direct object, from a noun to "
        "its determiner, from a preposition to its object, or from a mention to an earlier mention of the same "
        "entity, often with high accuracy. Much of the weight parked on the separator token seems to act as a "
        "'nothing to do here' default rather than as information.",
        "If heads specialise, are all of them needed? Michel et al. (2019) switched heads off in trained models at "
        "test time and found that many can go with little loss; in several layers a single head is enough. Voita "
        "et al. (2019) studied the encoder of a translation model: a few heads with clear jobs (positional heads, "
        "heads following syntactic relations, a head attending to rare words) carry most of the work, and when "
        "heads are pruned during training with a penalty on the number kept, those specialised heads are the last "
        "to be removed while most of the others can be dropped for a small cost in translation quality.",
        "The simulated heads in this window are built after these findings: a positional head, a syntactic head, "
        "a semantic head and a broad head with a sink on the first token."},
       {"Clark et al. 2019", "Michel et al. 2019", "Voita et al. 2019"}},
      {"Is attention an explanation?",
       {"Jain and Wallace (2019) tested attention as an account of a model's decision in text classifiers built on "
        "recurrent encoders. Attention weights often agreed poorly with other measures of which words mattered "
        "(gradients, and the effect of leaving a word out), and for many inputs they could construct a very "
        "different attention distribution that left the prediction almost unchanged. Their conclusion: high "
        "attention on a word is not, by itself, evidence that the word caused the output.",
        "Wiegreffe and Pinter (2019) replied that this depends on what 'explanation' is asked to mean. Swapping "
        "the weights of one input while the rest of the trained model stays fixed is a weak test, since the model "
        "never learned to work with those weights; a fairer one trains a whole adversarial model. They proposed "
        "such tests (compare with uniform weights, with other random seeds, and with the learned weights reused "
        "in a model without attention) and found that attention carries real information in some tasks and little "
        "in others. Attention can be a plausible account without being a faithful one.",
        "In a Transformer the picture is further removed from the output: a head's weights mix value vectors that "
        "already carry context from earlier layers, and the residual stream and later layers transform the result. "
        "Read a heatmap as where a head reads from, not as why the model decided."},
       {"Jain & Wallace 2019", "Wiegreffe & Pinter 2019"}},
      {"Alternatives: attribution methods",
       {"Attribution methods ask directly how much each input token contributed to one output. Integrated "
        "Gradients (Sundararajan et al. 2017) compares the input with a baseline (for text, often all-zero "
        "embeddings), follows the straight line from the baseline to the input, and accumulates the gradient of "
        "the output along it; each token's share is its accumulated gradient times its difference from the "
        "baseline, and the shares add up to the change in the output.",
        "SHAP (Lundberg & Lee 2017) applies Shapley values from cooperative game theory: a token's attribution is "
        "its average effect on the output when it is added to every possible subset of the other tokens. Exact "
        "values need exponentially many model runs, so practical versions sample subsets or use the model's "
        "structure.",
        "Both look at the whole model, input to output, which attention alone cannot. They cost more (tens to "
        "thousands of forward or backward passes per explanation) and depend on choices such as the baseline. A "
        "common practice: use attention to form a question, and attribution or interventions (removing a token, "
        "switching a head off) to answer it."},
       {"Sundararajan et al. 2017", "Lundberg & Lee 2017"}},
  };
  return sections;
}

const std::vector<FaqEntry>& teachingFaq() {
  static const std::vector<FaqEntry> faq = {
      {"Why divide by \xE2\x88\x9A" "d_k?",
       "If the d_k entries of a query and a key are independent with mean 0 and variance 1, their dot product has "
       "variance d_k. With d_k = 64 the scores then spread over tens of units, the softmax gives almost all the "
       "weight to one key, and its gradients nearly vanish, so learning stalls. Dividing by \xE2\x88\x9A" "d_k brings the "
       "scores back to unit variance whatever the width (Vaswani et al. 2017)."},
      {"Why does every row sum to 1?",
       "The softmax turns a row of scores into positive weights that sum to 1, and the output of the query is the "
       "weighted average of the value vectors. A query cannot attend to nothing: its weight has to go somewhere, "
       "which is one reason heads park it on a first token or a separator (a sink) when nothing else fits. A "
       "fully masked row is the exception, shown as zeros here."},
      {"What does the temperature do?",
       "The scores are divided by T before the softmax. T below 1 sharpens a row toward its largest score (T close "
       "to 0 approaches picking one key); T above 1 flattens it toward uniform, and the entropy rises. A trained "
       "model runs at T = 1; the slider is for exploring how sensitive a pattern is, as sampling temperature "
       "does for a language model's next word."},
      {"Self-attention or cross-attention?",
       "In self-attention the queries, keys and values come from one sequence, so the matrix is square. In "
       "cross-attention (encoder-decoder models such as translation) the queries come from the decoder's target "
       "tokens and the keys and values from the encoder's source tokens: rows are target tokens, columns source "
       "tokens, and the matrix is rectangular. A causal mask belongs to the decoder's self-attention, which must "
       "not see later target tokens; cross-attention may look at the whole source, so it has no such mask."},
  };
  return faq;
}

const std::vector<Reference>& teachingReferences() {
  static const std::vector<Reference> refs = {
      {"Vaswani et al. 2017",
       "Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin. Attention Is All You Need. NeurIPS 2017."},
      {"Clark et al. 2019",
       "Clark, Khandelwal, Levy, Manning. What Does BERT Look At? An Analysis of BERT's Attention. BlackboxNLP 2019."},
      {"Michel et al. 2019", "Michel, Levy, Neubig. Are Sixteen Heads Really Better than One? NeurIPS 2019."},
      {"Voita et al. 2019",
       "Voita, Talbot, Moiseev, Sennrich, Titov. Analyzing Multi-Head Self-Attention: Specialized Heads Do the Heavy "
       "Lifting, the Rest Can Be Pruned. ACL 2019."},
      {"Jain & Wallace 2019", "Jain, Wallace. Attention is not Explanation. NAACL 2019."},
      {"Wiegreffe & Pinter 2019", "Wiegreffe, Pinter. Attention is not not Explanation. EMNLP-IJCNLP 2019."},
      {"Sundararajan et al. 2017", "Sundararajan, Taly, Yan. Axiomatic Attribution for Deep Networks. ICML 2017."},
      {"Lundberg & Lee 2017", "Lundberg, Lee. A Unified Approach to Interpreting Model Predictions. NeurIPS 2017."},
  };
  return refs;
}

}  // namespace attnviz
