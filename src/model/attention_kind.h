// Which attention of a model a map comes from: the one field every request for a map carries
// (the window's model worker, dump/heads/render --attention). Decoder-only models have `decoder`
// only (causal self-attention), encoders (BERT family) `encoder` only (bidirectional), and
// encoder-decoders all three (cross: decoder queries over encoder keys).
#pragma once

#include <string_view>

namespace attnviz::model {

enum class AttentionKind { decoder, encoder, cross };

inline const char* attentionKindName(AttentionKind kind) {
  switch (kind) {
    case AttentionKind::decoder: return "decoder";
    case AttentionKind::encoder: return "encoder";
    case AttentionKind::cross: return "cross";
  }
  return "?";
}

// The prefix of head names ("enc L2H3", "dec L0H1", "cross L5H7") when a model has more than one
// kind; a model with one kind keeps plain "L2H3".
inline const char* attentionKindPrefix(AttentionKind kind) {
  switch (kind) {
    case AttentionKind::decoder: return "dec";
    case AttentionKind::encoder: return "enc";
    case AttentionKind::cross: return "cross";
  }
  return "?";
}

// "decoder", "encoder" or "cross" (the --attention values); false for anything else.
inline bool parseAttentionKind(std::string_view name, AttentionKind& kind) {
  if (name == "decoder") kind = AttentionKind::decoder;
  else if (name == "encoder") kind = AttentionKind::encoder;
  else if (name == "cross") kind = AttentionKind::cross;
  else return false;
  return true;
}

}  // namespace attnviz::model
