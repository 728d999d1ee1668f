import { businessNameOf, renderGreeting } from './greeting';

describe('businessNameOf', () => {
  it('takes a "Business name:" line wherever it is', () => {
    expect(businessNameOf('We are open 9-5.\nBusiness name: Smile Dental Croydon\nAddress: 1 High St')).toBe(
      'Smile Dental Croydon',
    );
    expect(businessNameOf('- **Name:** Pearly Whites.')).toBe('Pearly Whites');
  });

  it('takes a short first line that is not a sentence', () => {
    expect(businessNameOf('Bright Bite Leeds\nOpen Monday to Friday.')).toBe('Bright Bite Leeds');
    expect(businessNameOf('# Bright Bite Leeds')).toBe('Bright Bite Leeds');
  });

  it('is null when the profile names no business', () => {
    expect(businessNameOf(null)).toBeNull();
    expect(businessNameOf('We are a dental clinic open from nine to five.')).toBeNull();
    expect(businessNameOf('x'.repeat(200))).toBeNull();
  });
});

describe('renderGreeting', () => {
  it('fills {{business_name}} from the profile, else the agent name', () => {
    const template = "Hi, you've reached {{ business_name }}. How can I help?";
    expect(renderGreeting({ template, businessProfile: 'Smile Dental', agentName: 'Ringback' })).toBe(
      "Hi, you've reached Smile Dental. How can I help?",
    );
    expect(renderGreeting({ template, businessProfile: null, agentName: 'Ringback' })).toBe(
      "Hi, you've reached Ringback. How can I help?",
    );
  });

  it('has a default that names the business when it can', () => {
    expect(renderGreeting({ template: null, businessProfile: 'Smile Dental', agentName: 'A' })).toBe(
      "Hello, you've reached Smile Dental. How can I help you today?",
    );
    expect(renderGreeting({ template: '  ', businessProfile: null, agentName: 'A' })).toBe(
      'Hello! How can I help you today?',
    );
  });
});
