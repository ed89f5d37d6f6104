// The admin in English and Simplified Chinese (the dynamic-image plugin ships both); each user picks a
// language in their profile.
export default {
  config: { locales: ['zh-Hans'] },
  bootstrap() {},
};
